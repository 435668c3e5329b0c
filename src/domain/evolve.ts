import { createDraft, type Draft, freeze, produce } from "immer";
import * as C from "./collection.js";
import { type EntityOp, isEntityOp, lifecycleOf } from "./effects/table.js";
import type { EventData, EventType, StoredEvent } from "./events.js";
import { addressReleased, addressRequested, ipamOutcomeMove, poolReleased, poolRequested } from "./ipam/recipes.js";
import { type EndpointLifecycleEvent, endpointMachine } from "./machines/endpoint.js";
import { type NetworkLifecycleEvent, networkMachine } from "./machines/network.js";
import { type SandboxLifecycleEvent, sandboxMachine } from "./machines/sandbox.js";
import { initial, isFinal, step } from "./machines/step.js";
import { enablePeek } from "./peek.js";
import type { EffectRecord, EndpointRecord, State } from "./state.js";

/**
 * evolve: fold events into the state. Each event type has a recipe that mutates a draft. The live path
 * folds one command's events in one immer `produce` (`evolve`); replay applies the same recipes to a
 * private mutable copy and freezes it once at the end (`replay`), which is what makes replaying a
 * million events cheap. Both paths run the same code, and invariant 1 holds them equal.
 */
export type Mutable = Draft<State> | State;

// Look-ups on a draft read it without drafting what they pass (collection.ts); recipes use getMut.
enablePeek(createDraft);

class ReplayError extends Error {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super(`event ${seq}: ${message}`);
  }
}

/** Fold events into an immutable state with one immer produce. */
export function evolve(state: State, events: readonly StoredEvent[]): State {
  if (events.length === 0) return state;
  return produce(state, (d) => {
    for (const e of events) apply(d as State, e);
  });
}

/**
 * Fold events into a state this caller owns outright (a fresh emptyState() or a parsed snapshot),
 * mutating it; call `seal` when done to freeze it for sharing.
 */
export function applyInPlace(state: State, events: Iterable<StoredEvent>): State {
  for (const e of events) apply(state, e);
  return state;
}

export function seal(state: State): State {
  return freeze(state, true);
}

export function apply(s: State, e: StoredEvent): void {
  if (e.seq !== s.seq + 1) throw new ReplayError(e.seq, `expected seq ${s.seq + 1}: the log has a gap or is out of order`);
  try {
    applyRecipe(s, e);
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    throw new ReplayError(e.seq, `${e.type}: ${(err as Error).message}`);
  }
  s.seq = e.seq;
}

/**
 * A stored event of type T, written as a map indexed by T so that TypeScript sees `recipes[e.type]`
 * and `e` as belonging together (a correlated union) and no cast is needed to apply a recipe.
 */
type EventOfType<T extends EventType> = { [P in T]: StoredEvent & { type: P; data: EventData<P> } }[T];
type Recipes = { [T in EventType]: (s: State, e: EventOfType<T>) => void };

function applyRecipe<T extends EventType>(s: State, e: EventOfType<T>): void {
  const recipe: Recipes[T] = recipes[e.type];
  recipe(s, e);
}

function need<V>(v: V | undefined, what: string): V {
  if (v === undefined) throw new Error(`${what} is not in the state`);
  return v;
}

function dropNetwork(s: State, id: string): void {
  const n = need(C.getMut(s.networks, id), `network ${id}`);
  if (n.endpoints.size > 0) throw new Error(`network ${id} still has ${n.endpoints.size} endpoints`);
  if (n.pools.length > 0) throw new Error(`network ${id} still holds ${n.pools.length} IPAM pools`);
  C.remove(s.networks, id);
  C.remove(s.networkNames, n.name);
}

function detach(s: State, ep: EndpointRecord): void {
  if (ep.sandbox === null) return;
  const sb = C.getMut(s.sandboxes, ep.sandbox);
  if (sb) sb.endpoints = sb.endpoints.filter((x) => x !== ep.id);
  const n = C.getMut(s.networks, ep.network);
  if (n) C.remove(n.attached, ep.id);
  ep.sandbox = null;
  ep.joinInfo = null;
}

function dropEndpoint(s: State, id: string): void {
  const ep = need(C.getMut(s.endpoints, id), `endpoint ${id}`);
  detach(s, ep);
  const n = C.getMut(s.networks, ep.network);
  if (n) C.remove(n.endpoints, id);
  C.remove(s.endpoints, id);
  C.remove(s.endpointNames, `${ep.network}/${ep.name}`);
}

function dropSandbox(s: State, id: string): void {
  const sb = need(C.getMut(s.sandboxes, id), `sandbox ${id}`);
  if (sb.endpoints.length > 0) throw new Error(`sandbox ${id} still has ${sb.endpoints.length} joined endpoints`);
  C.remove(s.sandboxes, id);
  C.remove(s.sandboxContainers, sb.containerId);
}

/** A lifecycle move: an entity and an event its own machine takes. */
type Move =
  | { kind: "network"; id: string; type: NetworkLifecycleEvent }
  | { kind: "endpoint"; id: string; type: EndpointLifecycleEvent }
  | { kind: "sandbox"; id: string; type: SandboxLifecycleEvent };

/** Moves an entity's lifecycle by a machine event and drops the entity when it reaches a final state. */
function move(s: State, m: Move): void {
  switch (m.kind) {
    case "network": {
      const n = need(C.getMut(s.networks, m.id), `network ${m.id}`);
      n.lifecycle = step(networkMachine, n.lifecycle, m.type);
      if (isFinal(networkMachine, n.lifecycle)) dropNetwork(s, m.id);
      return;
    }
    case "endpoint": {
      const ep = need(C.getMut(s.endpoints, m.id), `endpoint ${m.id}`);
      ep.lifecycle = step(endpointMachine, ep.lifecycle, m.type);
      if (isFinal(endpointMachine, ep.lifecycle)) dropEndpoint(s, m.id);
      return;
    }
    case "sandbox": {
      const sb = need(C.getMut(s.sandboxes, m.id), `sandbox ${m.id}`);
      sb.lifecycle = step(sandboxMachine, sb.lifecycle, m.type);
      if (isFinal(sandboxMachine, sb.lifecycle)) dropSandbox(s, m.id);
      return;
    }
  }
}

/** The event a driver call's outcome sends, by the lifecycle verb it completes (the effect table's lifecycle). */
const outcomeEvents = {
  CREATE: { OK: "CREATE_OK", FAILED: "CREATE_FAILED" },
  DELETE: { OK: "DELETE_OK", FAILED: "DELETE_FAILED" },
  JOIN: { OK: "JOIN_OK", FAILED: "JOIN_FAILED" },
  LEAVE: { OK: "LEAVE_OK", FAILED: "LEAVE_FAILED" },
} as const;

/** The move an operation's outcome makes on the entity it acted on: each kind's events checked against its machine. */
function outcomeMove(op: EntityOp, id: string, outcome: "OK" | "FAILED"): Move {
  const o = lifecycleOf(op);
  switch (o.kind) {
    case "network":
      return { kind: "network", id, type: outcomeEvents[o.verb][outcome] };
    case "endpoint":
      return { kind: "endpoint", id, type: outcomeEvents[o.verb][outcome] };
    case "sandbox":
      return { kind: "sandbox", id, type: outcomeEvents[o.verb][outcome] };
  }
}

function completesDeletion(lifecycle: string, pending: boolean): boolean {
  return lifecycle === "deleting" && !pending;
}

const recipes: Recipes = {
  "driver.configured": (s, e) => {
    s.drivers[e.data.driver] = { options: e.data.options };
  },

  "network.created": (s, e) => {
    const d = e.data;
    if (C.has(s.networks, d.id)) throw new Error(`network ${d.id} already exists`);
    if (C.has(s.networkNames, d.name)) throw new Error(`network name ${d.name} is taken`);
    let lifecycle = step(networkMachine, initial, "CREATE");
    if (!d.pending) lifecycle = step(networkMachine, lifecycle, "CREATE_OK");
    C.set(s.networks, d.id, {
      id: d.id,
      name: d.name,
      driver: d.driver,
      scope: d.scope,
      ipam: d.ipam,
      ipv6: d.ipv6,
      internal: d.internal,
      options: d.options,
      labels: d.labels,
      lifecycle,
      createdAt: e.meta.time,
      endpoints: C.emptyCollection<1>(),
      attached: C.emptyCollection<1>(),
      pools: [],
    });
    C.set(s.networkNames, d.name, d.id);
  },

  // A deletion is decided with `pending` while a driver call or the entity's members are still owed;
  // a second event without `pending` completes it when no driver call is (the host namespace, say).
  "network.deleted": (s, e) => {
    if (!completesDeletion(need(C.getMut(s.networks, e.data.id), `network ${e.data.id}`).lifecycle, e.data.pending))
      move(s, { kind: "network", id: e.data.id, type: "DELETE" });
    if (!e.data.pending) move(s, { kind: "network", id: e.data.id, type: "DELETE_OK" });
  },

  "network.deleteAborted": (s, e) => move(s, { kind: "network", id: e.data.id, type: "DELETE_ABORTED" }),
  "network.reprogrammed": (s, e) => move(s, { kind: "network", id: e.data.id, type: "REPROGRAM" }),

  "endpoint.created": (s, e) => {
    const d = e.data;
    const n = need(C.getMut(s.networks, d.network), `network ${d.network}`);
    const nameKey = `${d.network}/${d.name}`;
    if (C.has(s.endpoints, d.id)) throw new Error(`endpoint ${d.id} already exists`);
    if (C.has(s.endpointNames, nameKey)) throw new Error(`endpoint name ${d.name} is taken in network ${d.network}`);
    let lifecycle = step(endpointMachine, initial, "CREATE");
    if (!d.pending) lifecycle = step(endpointMachine, lifecycle, "CREATE_OK");
    C.set(s.endpoints, d.id, {
      id: d.id,
      name: d.name,
      network: d.network,
      sandbox: null,
      ipv4: d.ipv4,
      ipv6: d.ipv6,
      mac: d.mac,
      gateway: d.gateway,
      gateway6: d.gateway6,
      ports: d.ports,
      aliases: d.aliases,
      ...(d.ifname !== undefined ? { ifname: d.ifname } : {}),
      ...(d.driverOpts !== undefined ? { driverOpts: d.driverOpts } : {}),
      lifecycle,
      createdAt: e.meta.time,
      then: d.connect !== undefined && d.pending ? { join: d.connect } : null,
      joinInfo: null,
    });
    C.set(n.endpoints, d.id, 1);
    C.set(s.endpointNames, nameKey, d.id);
  },

  "endpoint.joined": (s, e) => {
    const ep = need(C.getMut(s.endpoints, e.data.id), `endpoint ${e.data.id}`);
    const sb = need(C.getMut(s.sandboxes, e.data.sandbox), `sandbox ${e.data.sandbox}`);
    move(s, { kind: "endpoint", id: ep.id, type: "JOIN" });
    if (!e.data.pending) move(s, { kind: "endpoint", id: ep.id, type: "JOIN_OK" });
    ep.sandbox = sb.id;
    ep.then = null;
    sb.endpoints.push(ep.id);
    C.set(need(C.getMut(s.networks, ep.network), `network ${ep.network}`).attached, ep.id, 1);
  },

  "endpoint.left": (s, e) => {
    const ep = need(C.getMut(s.endpoints, e.data.id), `endpoint ${e.data.id}`);
    if (ep.sandbox !== e.data.sandbox) throw new Error(`endpoint ${ep.id} is not joined to sandbox ${e.data.sandbox}`);
    move(s, { kind: "endpoint", id: ep.id, type: "LEAVE" });
    ep.then = e.data.remove ? { remove: true } : null;
    if (!e.data.pending) {
      move(s, { kind: "endpoint", id: ep.id, type: "LEAVE_OK" });
      detach(s, ep);
    }
  },

  "endpoint.reprogrammed": (s, e) => move(s, { kind: "endpoint", id: e.data.id, type: "REPROGRAM" }),

  "endpoint.deleted": (s, e) => {
    if (e.data.force) return move(s, { kind: "endpoint", id: e.data.id, type: "FORCE_REMOVE" });
    const ep = need(C.getMut(s.endpoints, e.data.id), `endpoint ${e.data.id}`);
    ep.then = null;
    move(s, { kind: "endpoint", id: ep.id, type: "DELETE" });
    if (!e.data.pending) move(s, { kind: "endpoint", id: ep.id, type: "DELETE_OK" });
  },

  "sandbox.created": (s, e) => {
    const d = e.data;
    if (C.has(s.sandboxes, d.id)) throw new Error(`sandbox ${d.id} already exists`);
    if (C.has(s.sandboxContainers, d.containerId)) throw new Error(`container ${d.containerId} already has a sandbox`);
    let lifecycle = step(sandboxMachine, initial, "CREATE");
    if (!d.pending) lifecycle = step(sandboxMachine, lifecycle, "CREATE_OK");
    C.set(s.sandboxes, d.id, {
      id: d.id,
      containerId: d.containerId,
      key: d.key,
      hostname: d.hostname,
      domainname: d.domainname,
      dns: d.dns,
      extraHosts: d.extraHosts,
      lifecycle,
      createdAt: e.meta.time,
      endpoints: [],
    });
    C.set(s.sandboxContainers, d.containerId, d.id);
  },

  "sandbox.deleted": (s, e) => {
    if (e.data.force) return move(s, { kind: "sandbox", id: e.data.id, type: "FORCE_REMOVE" });
    if (!completesDeletion(need(C.getMut(s.sandboxes, e.data.id), `sandbox ${e.data.id}`).lifecycle, e.data.pending))
      move(s, { kind: "sandbox", id: e.data.id, type: "DELETE" });
    if (!e.data.pending) move(s, { kind: "sandbox", id: e.data.id, type: "DELETE_OK" });
  },

  "ipam.pool.requested": (s, e) => poolRequested(s, e.data),
  "ipam.pool.released": (s, e) => poolReleased(s, e.data),
  "ipam.address.requested": (s, e) => addressRequested(s, e.data),
  "ipam.address.released": (s, e) => addressReleased(s, e.data),
  // What the driver may hold unnamed is read from the log by verify and gc; the state keeps nothing of it.
  "ipam.leak.suspected": () => undefined,
  "sandbox.deleteAborted": (s, e) => move(s, { kind: "sandbox", id: e.data.id, type: "DELETE_ABORTED" }),

  "effect.requested": (s, e) => {
    const d = e.data;
    const open = C.getMut(s.effectsByResource, d.resource);
    if (open !== undefined) throw new Error(`resource ${d.resource} already has effect ${open} in flight`);
    const { attempt, inverse, failure, ...effect } = d;
    C.set(s.effects, String(e.seq), {
      id: e.seq,
      ...effect,
      inverse: inverse ?? false,
      failure: failure ?? null,
      attempts: [attempt],
      requestedAt: e.meta.time,
    } as EffectRecord);
    C.set(s.effectsByResource, d.resource, e.seq);
    s.boot = d.attempt.boot;
  },

  "effect.unsent": (s, e) => {
    const fx = need(C.getMut(s.effects, String(e.data.effect)), `open effect ${e.data.effect}`);
    fx.unsent = e.data.attempt;
  },

  "effect.attempted": (s, e) => {
    const fx = need(C.getMut(s.effects, String(e.data.effect)), `open effect ${e.data.effect}`);
    fx.attempts.push(e.data.attempt);
    s.boot = e.data.attempt.boot;
  },

  "effect.succeeded": (s, e) => settle(s, e.data.effect, "OK", e.data.result),
  "effect.failed": (s, e) => settle(s, e.data.effect, "FAILED", undefined),

  "host.booted": (s, e) => {
    s.boot = e.data.boot;
  },
};

/** Closes an effect and moves the entity it served; what a result carries is kept on the entity. */
function settle(s: State, effectId: number, outcome: "OK" | "FAILED", result: unknown): void {
  const fx = need(C.getMut(s.effects, String(effectId)), `open effect ${effectId}`);
  C.remove(s.effects, String(effectId));
  C.remove(s.effectsByResource, fx.resource);
  if (fx.inverse) return;
  if (!isEntityOp(fx.op)) {
    const m = ipamOutcomeMove(s, fx, outcome);
    if (m) move(s, m);
    return;
  }
  const { kind } = lifecycleOf(fx.op);
  const m = outcomeMove(fx.op, fx.resource, outcome);
  if (kind === "endpoint") {
    const ep = need(C.getMut(s.endpoints, fx.resource), `endpoint ${fx.resource}`);
    if (outcome === "OK") keepResult(ep, fx.op, result);
    if (fx.op === "join" && outcome === "FAILED") {
      move(s, m);
      detach(s, ep);
      // A failed join of `network connect` removes the endpoint again, as libnetwork's rollback does.
      ep.then = fx.args.connect === true ? { remove: true } : null;
      return;
    }
    if (fx.op === "leave") {
      move(s, m);
      if (outcome === "OK") detach(s, ep);
      // A failed leave keeps the endpoint joined; whatever was to follow the leave does not happen.
      else ep.then = null;
      return;
    }
  }
  move(s, m);
}

/**
 * CreateEndpoint may assign interface values where netledger sent none (libnetwork fills only empty
 * slots): an address IPAM gave is never replaced. Join names interfaces, gateways and routes.
 */
function keepResult(ep: EndpointRecord, op: string, result: unknown): void {
  if (typeof result !== "object" || result === null) return;
  const r = result as Record<string, unknown>;
  if (op === "createEndpoint") {
    const iface = r["interface"] as Record<string, unknown> | undefined;
    if (iface) {
      if (typeof iface["mac"] === "string" && iface["mac"] && ep.mac === null) ep.mac = iface["mac"];
      if (typeof iface["address"] === "string" && iface["address"] && ep.ipv4 === null) ep.ipv4 = iface["address"];
      if (typeof iface["addressIPv6"] === "string" && iface["addressIPv6"] && ep.ipv6 === null) ep.ipv6 = iface["addressIPv6"];
    }
  } else if (op === "join") {
    ep.joinInfo = r;
  }
}
