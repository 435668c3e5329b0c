import { type EffectOp, undoOf } from "../domain/effectOps.js";
import { isIpamOp, type IpamOp } from "../domain/ipam/ops.js";

/**
 * What to do with an effect whose intent is durable but whose outcome is missing and whose process is
 * gone (DESIGN §2): one row per driver operation, and the only place this is decided.
 *
 * A plugin promises no idempotency (the plugin protocol has no idempotency key), so a create that may
 * have been made is undone first (the operation's `undo` in effectOps, its errors tolerated) and then
 * made again: the driver ends with exactly one. Deletes and leaves are made again, and a NotFound
 * answer means an earlier attempt got there: success. Namespace creation finds what exists.
 */
export interface InDoubtPolicy {
  /** Send the operation's undo first (errors tolerated), because the call may have been made. */
  undoFirst: boolean;
  /** A NotFound answer means the call had already been made: success (on every attempt, not only in doubt). */
  notFoundIsSuccess: boolean;
  why: string;
}

export const inDoubtPolicies: Readonly<Record<EffectOp, InDoubtPolicy>> = {
  createNetwork: {
    undoFirst: true,
    notFoundIsSuccess: false,
    why: "a plugin may already hold the network: DeleteNetwork (errors tolerated), then CreateNetwork again",
  },
  deleteNetwork: { undoFirst: false, notFoundIsSuccess: true, why: "DeleteNetwork again; not found means done" },
  createEndpoint: {
    undoFirst: true,
    notFoundIsSuccess: false,
    why: "a plugin may already hold the endpoint: DeleteEndpoint (errors tolerated), then CreateEndpoint again",
  },
  deleteEndpoint: { undoFirst: false, notFoundIsSuccess: true, why: "DeleteEndpoint again; not found means done" },
  join: {
    undoFirst: true,
    notFoundIsSuccess: false,
    why: "the join may have been made: Leave (errors tolerated), then Join again",
  },
  leave: { undoFirst: false, notFoundIsSuccess: true, why: "Leave again; not found means done" },
  createSandbox: { undoFirst: false, notFoundIsSuccess: false, why: "namespace creation finds what exists: create again" },
  deleteSandbox: { undoFirst: false, notFoundIsSuccess: true, why: "namespace deletion finds nothing and succeeds: delete again" },
};

/**
 * IPAM calls in doubt. A remote IPAM promises identical answers to identical pool requests (it keeps
 * reference counts), so RequestPool is simply asked again; a RequestAddress for a given address is
 * undone first, so that asking again does not find it taken; one for any address may have taken one
 * the driver keeps (the plugin protocol has no idempotency key), which is the known cost, as in
 * libnetwork. Releases are repeated, and not-found means done.
 */
export const ipamInDoubtPolicies: Record<IpamOp, InDoubtPolicy> = {
  requestPool: { undoFirst: false, notFoundIsSuccess: false, why: "identical pool requests get the same pool; ask again" },
  requestAddress: {
    undoFirst: true,
    notFoundIsSuccess: false,
    why: "release the address asked for (errors tolerated), then ask again; an address asked for by nobody cannot be found to release",
  },
  releasePool: { undoFirst: false, notFoundIsSuccess: true, why: "releasing again is harmless; not found means done" },
  releaseAddress: { undoFirst: false, notFoundIsSuccess: true, why: "releasing again is harmless; not found means done" },
};

/** The in-doubt policy of any effect operation, network driver's or IPAM driver's. */
export function policyFor(op: EffectOp | IpamOp): InDoubtPolicy {
  return isIpamOp(op) ? ipamInDoubtPolicies[op] : inDoubtPolicies[op];
}

/** The call that undoes an operation, for either kind of driver: an IPAM request is undone by its release. */
export function undoOfAny(op: EffectOp | IpamOp): EffectOp | IpamOp | null {
  if (!isIpamOp(op)) return undoOf(op);
  return op === "requestAddress" ? "releaseAddress" : null;
}
