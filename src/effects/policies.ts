import type { EffectOp } from "../domain/effectOps.js";

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
