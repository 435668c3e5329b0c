import { describe, expect, it } from "vitest";
import type { Command } from "../../../../src/domain/commands.js";
import { decide, type DecideContext } from "../../../../src/domain/decide/index.js";
import { isNetledgerError } from "../../../../src/domain/errors.js";
import type { NewEvent, StoredEvent } from "../../../../src/domain/events.js";
import { evolve } from "../../../../src/domain/evolve.js";
import { emptyState, type State } from "../../../../src/domain/state.js";

const me = { pid: 10, start: "100", boot: "b1" };
const ctx: DecideContext = {
  root: "cmd",
  attempt: me,
  drivers: { ext: { name: "ext", scope: "local", connectivityScope: "local", sideEffects: true, usesIpam: false } },
  netnsDir: "/run/netns",
};

function fold(s: State, events: NewEvent[]): State {
  const stored = events.map((e, i) => ({ ...e, seq: s.seq + i + 1, version: 1, meta: { actor: "t", time: "t" }, hash: "" })) as StoredEvent[];
  return evolve(s, stored);
}

function run(s: State, cmd: Command): State {
  return fold(s, decide(s, cmd, ctx).events);
}

function refusal(s: State, cmd: Command): string {
  try {
    decide(s, cmd, ctx);
  } catch (e) {
    if (isNetledgerError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "accepted";
}

const netId = "1".repeat(64);
/** A network whose CreateNetwork (effect 2) is in flight. */
const creating = () => run(emptyState(), { type: "network.create", id: netId, name: "n1", driver: "ext", ipam: { config: [], options: {} }, ipv6: false, internal: false, options: {}, labels: {} });

describe("an effect outcome", () => {
  it("is refused when it answers for an attempt another has superseded, and a second outcome is refused", () => {
    const s = run(creating(), { type: "effect.retry", effect: 2, seen: 1 });
    expect(refusal(s, { type: "effect.outcome", effect: 2, attempt: 1, ok: true, result: null })).toBe(
      "Conflict: effect 2: attempt 1 was superseded by attempt 2; its outcome is not recorded",
    );
    const done = run(s, { type: "effect.outcome", effect: 2, attempt: 2, ok: true, result: null });
    expect(refusal(done, { type: "effect.outcome", effect: 2, attempt: 2, ok: true, result: null })).toBe(
      "Conflict: effect 2 is not open: its outcome is already recorded",
    );
  });

  it("is taken over once: a second process that saw the same attempts is refused", () => {
    const s = run(creating(), { type: "effect.retry", effect: 2, seen: 1 });
    expect(refusal(s, { type: "effect.retry", effect: 2, seen: 1 })).toBe("Conflict: effect 2 was taken over by another process (attempt 2)");
  });

  it("owes the inverse call only when the driver may have acted: a timeout or a malformed answer, not a refusal", () => {
    for (const [code, inverse] of [["Timeout", true], ["BadResponse", true], ["DriverError", false], ["Forbidden", false]] as const) {
      const events = decide(creating(), { type: "effect.outcome", effect: 2, attempt: 1, ok: false, error: { code, message: "x" } }, ctx).events;
      const undo = events.filter((e) => e.type === "effect.requested");
      expect(undo.length, code).toBe(inverse ? 1 : 0);
      if (inverse) expect(undo[0]!.data).toMatchObject({ op: "deleteNetwork", inverse: true, root: "cmd", resource: netId });
    }
  });

  it("records a reboot once: the same boot id again decides nothing", () => {
    const booted = run(emptyState(), { type: "host.boot", drivers: [], goneSandboxes: [] });
    expect(booted.boot).toBe("b1");
    const later = { ...booted, boot: "b0" };
    expect(decide(later, { type: "host.boot", drivers: [], goneSandboxes: [] }, ctx).events).toEqual([
      { type: "host.booted", stream: "host", data: { boot: "b1", previous: "b0" } },
    ]);
    expect(decide(booted, { type: "host.boot", drivers: [], goneSandboxes: [] }, ctx).events).toEqual([]);
  });
});
