import { expect } from "vitest";
import type { z } from "zod";
import * as C from "../../src/domain/collection.js";
import { type Command, commandSchemas, type CommandType } from "../../src/domain/commands.js";
import { decide, type DecideContext, type DriverInfo, type IpamDriverInfo, sandboxDriver } from "../../src/domain/decide/index.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import type { NewEvent, StoredEvent } from "../../src/domain/events.js";
import { evolve } from "../../src/domain/evolve.js";
import { emptyState, type State } from "../../src/domain/state.js";

/**
 * decide() specified at its own level, as emmett's decider specifications: given these events, when
 * this command, then these events or this error. No store, no controller: the events are folded with
 * the real `evolve`, the command is parsed by its zod schema, and the context is fixed, so a spec
 * reads the same on every run.
 *
 *   given(...events).when({ type: "network.create", ... }).then([{ type: "network.created", ... }])
 *   given(...events).when(cmd).thenError("Conflict", /already exists/)
 *
 * `then` compares the whole list (type, stream, data) with toEqual: use expect.objectContaining (or
 * `effect()` below) where ids and arguments are long. The events it accepts are folded too, so an
 * event the reducers would refuse fails the spec. It returns the events and the state after them.
 * (A When has a `then` method: end a spec with `.then(...)`/`.thenError(...)`, never return or await a When.)
 */

export { endpoint, hex, joined, network, sandbox } from "./state.js";

/** The calling process every decision is made for. */
export const attempt = { pid: 4242, start: "1000", boot: "boot-1" };
/** The request id every decision serves. */
export const root = "req-1";
export const netnsDir = "/run/netledger/netns";

const driver = (name: string, over: Partial<DriverInfo> = {}): DriverInfo => ({
  name,
  scope: "local",
  connectivityScope: "local",
  sideEffects: false,
  usesIpam: false,
  ...over,
});

/** The drivers as the registry describes them (src/drivers/registry.ts `info()`), with the netns sandbox driver. */
export const drivers: Record<string, DriverInfo> = {
  null: driver("null"),
  host: driver("host"),
  bridge: driver("bridge", { sideEffects: true, usesIpam: true }),
  // A remote plugin's capability (src/drivers/remote/capabilities.ts): effects and IPAM by default.
  plug: driver("plug", { sideEffects: true, usesIpam: true }),
  gplug: driver("gplug", { scope: "global", connectivityScope: "global", sideEffects: true, usesIpam: true }),
  [sandboxDriver]: driver(sandboxDriver, { sideEffects: true }),
};

/** IPAM plugins as the IPAM registry describes them (src/drivers/ipamRegistry.ts `info()`). */
export const ipamDrivers: Record<string, IpamDriverInfo> = {
  pipam: { name: "pipam", sideEffects: true, localAddressSpace: "PLocal", globalAddressSpace: "PGlobal", requiresMacAddress: false },
  macipam: { name: "macipam", sideEffects: true, localAddressSpace: "MLocal", globalAddressSpace: "MGlobal", requiresMacAddress: true },
};

export const context: DecideContext = { root, attempt, drivers, ipamDrivers, netnsDir };

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
/** A command as a caller writes it (`as const` welcome), before its schema fills in the defaults. */
export type CommandInput = DeepReadonly<{ [T in CommandType]: z.input<(typeof commandSchemas)[T]> }[CommandType]>;

/**
 * The outcome of whatever effect is open on a resource, resolved against the given state into an
 * effect.outcome command for that effect's current attempt, as the dispatcher would report it:
 * `when(ok(endpointId))`, `when(failed(endpointId, "Timeout"))`.
 */
export interface OpenOutcome {
  outcomeOn: string;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

export const ok = (resource: string, result: unknown = null): OpenOutcome => ({ outcomeOn: resource, ok: true, result });
export const failed = (resource: string, code: string, message = "the driver said no"): OpenOutcome => ({
  outcomeOn: resource,
  ok: false,
  error: { code, message },
});

export function command(input: CommandInput): Command {
  return (commandSchemas[input.type] as z.ZodType).parse(input) as Command;
}

/** Folds events as the log would store them: the next seqs, fixed metadata, no hash chain. */
export function fold(s: State, events: readonly NewEvent[]): State {
  const stored = events.map(
    (e, i) => ({ ...e, seq: s.seq + 1 + i, version: 1, meta: { actor: "test", time: `2025-01-01T00:00:${String((s.seq + 1 + i) % 60).padStart(2, "0")}Z` }, hash: "" }) as StoredEvent,
  );
  return evolve(s, stored);
}

/** The id of the effect open on a resource (the seq of its intent). */
export function effectOn(s: State, resource: string): number {
  const id = C.get(s.effectsByResource, resource);
  if (id === undefined) throw new Error(`no effect is open on ${resource}`);
  return id;
}

function resolve(s: State, input: CommandInput | OpenOutcome): Command {
  if (!("outcomeOn" in input)) return command(input);
  const fx = C.get(s.effects, String(effectOn(s, input.outcomeOn)))!;
  const base = { type: "effect.outcome" as const, effect: fx.id, attempt: fx.attempts.length };
  return command(input.ok ? { ...base, ok: true, result: input.result } : { ...base, ok: false, error: input.error! });
}

type Decided = { events: NewEvent[] } | { error: unknown };

export class When {
  constructor(
    readonly before: State,
    private readonly decided: Decided,
  ) {}

  /** The events decided; throws what decide threw. */
  get events(): NewEvent[] {
    if ("error" in this.decided) throw this.decided.error;
    return this.decided.events;
  }

  then(expected: readonly unknown[]): { events: NewEvent[]; state: State } {
    const events = this.events;
    expect(events).toEqual(expected);
    return { events, state: fold(this.before, events) };
  }

  thenError(code: string, message?: RegExp): void {
    if (!("error" in this.decided))
      throw new Error(`expected ${code}, but decide accepted the command: ${this.decided.events.map((e) => e.type).join(", ") || "no events"}`);
    const e = this.decided.error;
    if (!isNetledgerError(e)) throw e;
    expect(e.code, e.message).toBe(code);
    if (message) expect(e.message).toMatch(message);
  }
}

export class Given {
  constructor(readonly state: State) {}

  /** Decides a command (or the outcome of the effect open on a resource) with the fixed context, `ctx` overriding parts. */
  when(input: CommandInput | OpenOutcome, ctx: Partial<DecideContext> = {}): When {
    let decided: Decided;
    try {
      decided = { events: decide(this.state, resolve(this.state, input), { ...context, ...ctx }).events };
    } catch (error) {
      decided = { error };
    }
    return new When(this.state, decided);
  }
}

export function given(...events: NewEvent[]): Given {
  return new Given(fold(emptyState(), events));
}

/** A step of a history: a command, the outcome of the effect open on a resource, or an event as it is. */
export type Step = CommandInput | OpenOutcome | NewEvent;

/**
 * The events of a run of steps, each command decided on the state the earlier steps left (events are
 * taken as they are): a `given` told as what happened, e.g. `history(createNetwork, ok(net), sandbox(...))`.
 */
export function history(...steps: Step[]): NewEvent[] {
  let s = emptyState();
  const all: NewEvent[] = [];
  for (const step of steps) {
    const events = "stream" in step ? [step] : decide(s, resolve(s, step), context).events;
    s = fold(s, events);
    all.push(...events);
  }
  return all;
}

/** An expected effect intent made for the fixed context; `args` is matched partially. */
export function effect(driver: string, op: string, resource: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    type: "effect.requested",
    stream: resource,
    data: { driver, op, resource, args: expect.objectContaining(args), root, attempt, ...extra },
  };
}
