/**
 * The driver operations an effect can carry, the kind of entity each acts on, the lifecycle verb its
 * outcome completes (`<VERB>_OK` / `<VERB>_FAILED`), and the operation that undoes it (`undo`), sent
 * when a call may have acted although it did not succeed. An inverse call (a compensation, marked
 * `inverse` on its intent) moves no lifecycle.
 */
export const effectOps = {
  createNetwork: { kind: "network", verb: "CREATE", undo: "deleteNetwork" },
  deleteNetwork: { kind: "network", verb: "DELETE", undo: null },
  createEndpoint: { kind: "endpoint", verb: "CREATE", undo: "deleteEndpoint" },
  deleteEndpoint: { kind: "endpoint", verb: "DELETE", undo: null },
  join: { kind: "endpoint", verb: "JOIN", undo: "leave" },
  leave: { kind: "endpoint", verb: "LEAVE", undo: null },
  createSandbox: { kind: "sandbox", verb: "CREATE", undo: "deleteSandbox" },
  deleteSandbox: { kind: "sandbox", verb: "DELETE", undo: null },
} as const;

export type EffectOp = keyof typeof effectOps;
export type EntityKind = (typeof effectOps)[EffectOp]["kind"];

export function isEffectOp(op: string): op is EffectOp {
  return Object.hasOwn(effectOps, op);
}

/** The call that undoes `op`, or null when nothing a failed `op` may have done needs undoing. */
export function undoOf(op: EffectOp): EffectOp | null {
  return effectOps[op].undo;
}

/**
 * Error codes after which the driver may have acted although the call did not succeed: it did not
 * answer in time, answered something malformed, or the connection broke after the request went out
 * (InDoubt). Any other failure is the driver saying no.
 */
export function driverMayHaveActed(code: string): boolean {
  return code === "Timeout" || code === "BadResponse" || code === "InDoubt";
}
