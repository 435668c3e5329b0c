import { z } from "zod";
import { attemptSchema, errorInfoSchema } from "../values.js";
import { type EffectOp, effectTable } from "./table.js";

/**
 * effect.requested, as the log stores it: the driver, the operation and its arguments (one member of
 * the union per operation of the effect table, told apart by `op`), the resource it acts on, and who
 * asked. The stored shape is the one it always had; only its type is now exact.
 */
function requested<O extends EffectOp>(op: O) {
  return z.object({
    driver: z.string(),
    op: z.literal(op),
    /** The entity the call acts on; at most one effect per resource is open at a time. */
    resource: z.string(),
    args: effectTable[op].args,
    /** The command (request id, or a generated one) this effect serves, directly or by continuation. */
    root: z.string(),
    /** The process that will make the call; the first attempt is recorded with the intent. */
    attempt: attemptSchema,
    /** An inverse call owed by a compensation: it moves no lifecycle. */
    inverse: z.boolean().optional(),
    /**
     * Set on a clean-up call requested because the command it serves could not go on (a connect whose
     * sandbox went away before the join, say): the command fails with this error once the call settles.
     */
    failure: errorInfoSchema.optional(),
  });
}

export const effectRequestedSchema = z.discriminatedUnion("op", [
  requested("createNetwork"),
  requested("deleteNetwork"),
  requested("createEndpoint"),
  requested("deleteEndpoint"),
  requested("join"),
  requested("leave"),
  requested("createSandbox"),
  requested("deleteSandbox"),
  requested("requestPool"),
  requested("releasePool"),
  requested("requestAddress"),
  requested("releaseAddress"),
]);
