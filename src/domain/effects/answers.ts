import { familyOfCidr } from "./results.js";
import { type EffectOp, effectTable, isIpamOp, type TypedEffect } from "./table.js";
import { issuesText } from "../schemaIssues.js";

/**
 * The one check of a driver's answer (docs/architecture.md, drivers: a malformed answer is a classified error, never a
 * crash): against its operation's result schema, and for an IPAM request against what was asked (the
 * address family). The effect layer applies it where the driver answers; decide then reads the answer
 * typed. A network driver's malformed answer is a BadResponse (the driver may have acted: its undo is
 * owed); an IPAM driver's is the call's failure, a DriverError, as it always was.
 */
export type AnswerCheck = { ok: true; result: unknown } | { ok: false; code: "BadResponse" | "DriverError"; message: string };

export function checkAnswer(op: EffectOp, raw: unknown, fx?: TypedEffect): AnswerCheck {
  const r = effectTable[op].result.safeParse(raw);
  if (!r.success) {
    if (isIpamOp(op)) return { ok: false, code: "DriverError", message: r.error.issues[0]?.message ?? `${op} returned something malformed` };
    return { ok: false, code: "BadResponse", message: `answered something that is not a ${op} result (${issuesText(r.error)})` };
  }
  const wrong = fx ? wrongFamily(fx, r.data) : null;
  return wrong ? { ok: false, code: "DriverError", message: wrong } : { ok: true, result: r.data };
}

/** An IPAM request answered with an address or pool of the other family. */
function wrongFamily(fx: TypedEffect, result: unknown): string | null {
  if (typeof result !== "object" || result === null) return null;
  if (fx.op === "requestPool" && "pool" in result && typeof result.pool === "string" && familyOfCidr(result.pool) !== fx.args.family)
    return `RequestPool returned ${result.pool} for an IPv${fx.args.family} request`;
  if (fx.op === "requestAddress" && "address" in result && typeof result.address === "string" && familyOfCidr(result.address) !== fx.args.family)
    return `RequestAddress returned ${result.address} for an IPv${fx.args.family} request`;
  return null;
}
