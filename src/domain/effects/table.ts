import type { z } from "zod";
import * as A from "./args.js";
import * as R from "./results.js";

/**
 * Every operation an effect can carry, network driver's, sandbox layer's and IPAM driver's alike, in
 * one table: its arguments and its answer (zod schemas: what effect.requested stores, what the driver
 * may answer and effect.succeeded stores), the lifecycle its outcome moves (`<verb>_OK` /
 * `<verb>_FAILED` on an entity of `kind`; IPAM calls move none on success), the call that undoes it
 * (`undo`, sent with the same arguments when a call may have acted although it did not succeed), its
 * in-doubt policy, and its words for people.
 */

/**
 * What to do with an effect whose intent is durable but whose outcome is missing and whose process is
 * gone (docs/architecture.md, recovery). A plugin promises no idempotency (the plugin protocol has no idempotency key), so a
 * create that may have been made is undone first (its `undo`, errors tolerated) and then made again:
 * the driver ends with exactly one. Deletes and leaves are made again, and a NotFound answer means an
 * earlier attempt got there: success. Namespace creation finds what exists. A remote IPAM answers
 * identical requests for a given pool with the same pool and counts references on it (libnetwork's
 * allocator), so a lost RequestPool may hold one more: the pool learnt by asking again is released until
 * the driver holds none, then asked for once. A RequestAddress for a given address is undone first, so
 * that asking again does not find it taken. A request for any address or pool may have been given one
 * nothing names: it cannot be released, and is recorded as a suspected leak (decide/ipamLeaks.ts).
 */
export interface InDoubtPolicy {
  /** Send the operation's undo first (errors tolerated), because the call may have been made. */
  readonly undoFirst: boolean;
  /** A NotFound answer means the call had already been made: success (on every attempt, not only in doubt). */
  readonly notFoundIsSuccess: boolean;
  /**
   * RequestPool naming a pool: ask again to learn the pool id, give back the references the lost
   * attempts and this one may hold (ReleasePool until the driver refuses), then ask once more.
   */
  readonly releaseAnswered?: boolean;
  readonly why: string;
}

/** Who serves an operation: a network driver, the sandbox layer (namespaces), or an IPAM driver. */
export type Served = "network" | "sandbox" | "ipam";

const again = (what: string): InDoubtPolicy => ({ undoFirst: false, notFoundIsSuccess: true, why: `${what} again; not found means done` });

export const effectTable = {
  createNetwork: {
    served: "network",
    lifecycle: { kind: "network", verb: "CREATE" },
    undo: "deleteNetwork",
    args: A.createNetworkArgs,
    result: R.noResult,
    inDoubt: {
      undoFirst: true,
      notFoundIsSuccess: false,
      why: "a plugin may already hold the network: DeleteNetwork (errors tolerated), then CreateNetwork again",
    },
    words: "create network",
  },
  deleteNetwork: {
    served: "network",
    lifecycle: { kind: "network", verb: "DELETE" },
    undo: null,
    args: A.deleteNetworkArgs,
    result: R.noResult,
    inDoubt: again("DeleteNetwork"),
    words: "delete network",
  },
  createEndpoint: {
    served: "network",
    lifecycle: { kind: "endpoint", verb: "CREATE" },
    undo: "deleteEndpoint",
    args: A.createEndpointArgs,
    result: R.createEndpointResult,
    inDoubt: {
      undoFirst: true,
      notFoundIsSuccess: false,
      why: "a plugin may already hold the endpoint: DeleteEndpoint (errors tolerated), then CreateEndpoint again",
    },
    words: "create endpoint",
  },
  deleteEndpoint: {
    served: "network",
    lifecycle: { kind: "endpoint", verb: "DELETE" },
    undo: null,
    args: A.deleteEndpointArgs,
    result: R.noResult,
    inDoubt: again("DeleteEndpoint"),
    words: "delete endpoint",
  },
  join: {
    served: "network",
    lifecycle: { kind: "endpoint", verb: "JOIN" },
    undo: "leave",
    args: A.joinArgs,
    result: R.joinResult,
    inDoubt: { undoFirst: true, notFoundIsSuccess: false, why: "the join may have been made: Leave (errors tolerated), then Join again" },
    words: "join sandbox",
  },
  leave: {
    served: "network",
    lifecycle: { kind: "endpoint", verb: "LEAVE" },
    undo: null,
    args: A.leaveArgs,
    result: R.noResult,
    inDoubt: again("Leave"),
    words: "leave sandbox",
  },
  createSandbox: {
    served: "sandbox",
    lifecycle: { kind: "sandbox", verb: "CREATE" },
    undo: "deleteSandbox",
    args: A.createSandboxArgs,
    result: R.noResult,
    inDoubt: { undoFirst: false, notFoundIsSuccess: false, why: "namespace creation finds what exists: create again" },
    words: "create sandbox namespace",
  },
  deleteSandbox: {
    served: "sandbox",
    lifecycle: { kind: "sandbox", verb: "DELETE" },
    undo: null,
    args: A.deleteSandboxArgs,
    result: R.noResult,
    inDoubt: { undoFirst: false, notFoundIsSuccess: true, why: "namespace deletion finds nothing and succeeds: delete again" },
    words: "delete sandbox namespace",
  },
  requestPool: {
    served: "ipam",
    lifecycle: null,
    undo: null,
    args: A.requestPoolArgs,
    result: R.requestPoolResult,
    inDoubt: {
      undoFirst: false,
      notFoundIsSuccess: false,
      releaseAnswered: true,
      why: "a request naming a pool: ask again to learn its id, ReleasePool it until the driver holds none, then ask once more; a request for any pool is asked again and its lost answer recorded as a suspected leak",
    },
    words: "request address pool",
  },
  releasePool: {
    served: "ipam",
    lifecycle: null,
    undo: null,
    args: A.releasePoolArgs,
    result: R.releaseResult,
    inDoubt: { undoFirst: false, notFoundIsSuccess: true, why: "releasing again is harmless; not found means done" },
    words: "release address pool",
  },
  requestAddress: {
    served: "ipam",
    lifecycle: null,
    undo: "releaseAddress",
    args: A.requestAddressArgs,
    result: R.requestAddressResult,
    inDoubt: {
      undoFirst: true,
      notFoundIsSuccess: false,
      why: "release the address asked for (errors tolerated), then ask again; an address asked for by nobody cannot be found to release",
    },
    words: "request address",
  },
  releaseAddress: {
    served: "ipam",
    lifecycle: null,
    undo: null,
    args: A.releaseAddressArgs,
    result: R.releaseResult,
    inDoubt: { undoFirst: false, notFoundIsSuccess: true, why: "releasing again is harmless; not found means done" },
    words: "release address",
  },
} as const satisfies Record<
  string,
  {
    served: Served;
    lifecycle: { kind: "network" | "endpoint" | "sandbox"; verb: string } | null;
    undo: string | null;
    args: z.ZodType;
    result: z.ZodType;
    inDoubt: InDoubtPolicy;
    words: string;
  }
>;

type Table = typeof effectTable;
export type EffectOp = keyof Table;
export type EffectArgs<O extends EffectOp> = z.output<Table[O]["args"]>;
export type EffectResult<O extends EffectOp> = z.output<Table[O]["result"]>;

/** An effect with its operation and arguments, typed together: narrowing on `op` types `args`. */
export type EffectOf<O extends EffectOp> = { [P in O]: { op: P; args: EffectArgs<P> } }[O];
export type TypedEffect = EffectOf<EffectOp>;

/** Operations whose outcome moves an entity's lifecycle (network driver's and sandbox layer's). */
export type EntityOp = { [O in EffectOp]: Table[O]["lifecycle"] extends null ? never : O }[EffectOp];
/** An IPAM driver's operations: what they return becomes an ipam.* event and decide plans the next step. */
export type IpamOp = { [O in EffectOp]: Table[O]["served"] extends "ipam" ? O : never }[EffectOp];
export type EntityKind = NonNullable<Table[EffectOp]["lifecycle"]>["kind"];

export function isEntityOp(op: EffectOp): op is EntityOp {
  return effectTable[op].lifecycle !== null;
}

export function isIpamOp(op: EffectOp): op is IpamOp {
  return effectTable[op].served === "ipam";
}

/** The effect as an IPAM driver's (narrowing the effect, not only its op). */
export function isIpamEffect<E extends TypedEffect>(fx: E): fx is Extract<E, { op: IpamOp }> {
  return isIpamOp(fx.op);
}

/** An IPAM request: its failure fails the network or endpoint it was for (a release's failure is only logged). */
export function isIpamRequest(op: EffectOp): op is "requestPool" | "requestAddress" {
  return op === "requestPool" || op === "requestAddress";
}

/** The entity operations, each with what its outcome moves (the network and sandbox rows of the table). */
export const entityOps = Object.fromEntries(
  Object.entries(effectTable).flatMap(([op, row]) => (row.lifecycle ? [[op, row.lifecycle]] : [])),
) as Readonly<Record<EntityOp, { kind: EntityKind; verb: string }>>;

/** The in-doubt policies of the entity operations (the network and sandbox rows). */
export const inDoubtPolicies = Object.fromEntries(Object.keys(entityOps).map((op) => [op, policyFor(op as EntityOp)])) as Readonly<
  Record<EntityOp, InDoubtPolicy>
>;

/** What the outcome of an entity operation moves. */
export function lifecycleOf<O extends EntityOp>(op: O): Table[O]["lifecycle"] {
  return effectTable[op].lifecycle;
}

/** The call that undoes `op`, or null when nothing a failed `op` may have done needs undoing. */
export function undoOf(op: EffectOp): EffectOp | null {
  return effectTable[op].undo;
}

/**
 * An undo is sent with the arguments of the call it undoes: checked here, at compile time, that every
 * operation's arguments are arguments of its undo too (`undoEffect` relies on it).
 */
type UndoArgsFit = {
  [O in EffectOp]: Table[O]["undo"] extends EffectOp ? (EffectArgs<O> extends EffectArgs<Table[O]["undo"]> ? true : false) : true;
}[EffectOp];
const undoArgsFit: false extends UndoArgsFit ? "an operation's arguments do not fit its undo" : true = true;
void undoArgsFit;

/** The undo of an effect (the table's `undo`), with its arguments: an undo takes what the call it undoes took. */
export function undoEffect(fx: TypedEffect): TypedEffect | null {
  const undo = undoOf(fx.op);
  return undo === null ? null : ({ op: undo, args: fx.args } as TypedEffect);
}

/** The in-doubt policy of an operation. */
export function policyFor(op: EffectOp): InDoubtPolicy {
  return effectTable[op].inDoubt;
}

/**
 * Error codes after which the driver may have acted although the call did not succeed: it did not
 * answer in time, answered something malformed, or the connection broke after the request went out
 * (InDoubt). Any other failure is the driver saying no.
 */
export function driverMayHaveActed(code: string): boolean {
  return code === "Timeout" || code === "BadResponse" || code === "InDoubt";
}
