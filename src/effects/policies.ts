import type { EffectOp } from "../domain/effectOps.js";
import type { IpamOp } from "../domain/ipam/ops.js";

/**
 * What to do with an effect whose intent is durable but whose outcome is missing and whose process is
 * gone (DESIGN §2): one row per driver operation. `inverse` is sent first, its errors tolerated,
 * because a plugin promises no idempotency: a create that may have happened is undone before it is
 * made again. Deletes and leaves are simply made again, and not-found counts as done.
 */
export interface InDoubtPolicy {
  /** The call that undoes a possibly-made call, sent before the retry; none for idempotent ones. */
  inverse: EffectOp | IpamOp | null;
  /** A NotFound answer to the retry means the call had already been made: success. */
  notFoundIsSuccess: boolean;
  why: string;
}

export const inDoubtPolicies: Record<EffectOp, InDoubtPolicy> = {
  createNetwork: {
    inverse: "deleteNetwork",
    notFoundIsSuccess: false,
    why: "a plugin may already hold the network; delete it (errors tolerated) and create it again",
  },
  deleteNetwork: { inverse: null, notFoundIsSuccess: true, why: "deleting again is harmless; not found means done" },
  createEndpoint: {
    inverse: "deleteEndpoint",
    notFoundIsSuccess: false,
    why: "a plugin may already hold the endpoint; delete it (errors tolerated) and create it again",
  },
  deleteEndpoint: { inverse: null, notFoundIsSuccess: true, why: "deleting again is harmless; not found means done" },
  join: {
    inverse: "leave",
    notFoundIsSuccess: false,
    why: "the join may have been made; leave (errors tolerated) and join again",
  },
  leave: { inverse: null, notFoundIsSuccess: true, why: "leaving again is harmless; not found means done" },
  createSandbox: { inverse: null, notFoundIsSuccess: false, why: "namespace creation finds what exists" },
  deleteSandbox: { inverse: null, notFoundIsSuccess: true, why: "namespace deletion finds nothing and succeeds" },
};

/**
 * IPAM calls in doubt. A remote IPAM promises identical answers to identical pool requests (it keeps
 * reference counts), so RequestPool is simply asked again; a RequestAddress for a given address is
 * undone first, so that asking again does not find it taken; one for any address may have taken one
 * the driver keeps (the plugin protocol has no idempotency key), which is the known cost, as in
 * libnetwork. Releases are repeated, and not-found means done.
 */
export const ipamInDoubtPolicies: Record<IpamOp, InDoubtPolicy> = {
  requestPool: { inverse: null, notFoundIsSuccess: false, why: "identical pool requests get the same pool; ask again" },
  requestAddress: {
    inverse: "releaseAddress",
    notFoundIsSuccess: false,
    why: "release the address asked for (errors tolerated), then ask again; an address asked for by nobody cannot be found to release",
  },
  releasePool: { inverse: null, notFoundIsSuccess: true, why: "releasing again is harmless; not found means done" },
  releaseAddress: { inverse: null, notFoundIsSuccess: true, why: "releasing again is harmless; not found means done" },
};

/** The in-doubt policy of any effect operation, network driver's or IPAM driver's. */
export function policyFor(op: string): InDoubtPolicy | undefined {
  return (inDoubtPolicies as Record<string, InDoubtPolicy>)[op] ?? (ipamInDoubtPolicies as Record<string, InDoubtPolicy>)[op];
}
