import type { EffectOp } from "../domain/effectOps.js";

/**
 * What to do with an effect whose intent is durable but whose outcome is missing and whose process is
 * gone (DESIGN §2): one row per driver operation. `inverse` is sent first, its errors tolerated,
 * because a plugin promises no idempotency: a create that may have happened is undone before it is
 * made again. Deletes and leaves are simply made again, and not-found counts as done.
 */
export interface InDoubtPolicy {
  /** The call that undoes a possibly-made call, sent before the retry; none for idempotent ones. */
  inverse: EffectOp | null;
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
