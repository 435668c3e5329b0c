/**
 * The driver operations an effect can carry, the kind of entity each acts on, and the lifecycle verb
 * its outcome completes (`<VERB>_OK` / `<VERB>_FAILED`). An inverse call (a compensation) moves no
 * lifecycle.
 */
export const effectOps = {
  createNetwork: { kind: "network", verb: "CREATE" },
  deleteNetwork: { kind: "network", verb: "DELETE" },
  createEndpoint: { kind: "endpoint", verb: "CREATE" },
  deleteEndpoint: { kind: "endpoint", verb: "DELETE" },
  join: { kind: "endpoint", verb: "JOIN" },
  leave: { kind: "endpoint", verb: "LEAVE" },
  createSandbox: { kind: "sandbox", verb: "CREATE" },
  deleteSandbox: { kind: "sandbox", verb: "DELETE" },
} as const;

export type EffectOp = keyof typeof effectOps;
export type EntityKind = (typeof effectOps)[EffectOp]["kind"];

export function isEffectOp(op: string): op is EffectOp {
  return Object.hasOwn(effectOps, op);
}
