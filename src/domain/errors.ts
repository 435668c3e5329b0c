/**
 * Every failure netledger reports carries a string code a program can branch on and a message a person
 * can act on. Codes follow libnetwork's error classes (types/types.go: NotFound, Forbidden, BadRequest…)
 * plus the ones an event log adds (Corrupt, InDoubt) and a driver's answer can earn (Timeout, BadResponse).
 */
const errorCodes = [
  "NotFound",
  "Conflict",
  "InvalidParameter",
  "Forbidden",
  "ActiveEndpoints",
  "Exhausted",
  "IllegalState",
  "DriverError",
  "PluginUnavailable",
  "Timeout",
  // A driver answered something its contract does not allow (a malformed result); it may have acted.
  "BadResponse",
  "Corrupt",
  "InDoubt",
  // The daemon cannot be reached, or is shutting down.
  "Unavailable",
  // The etcd cluster of global scope gave no answer within --cluster-timeout (quorum lost, unreachable).
  "ClusterUnavailable",
  "Internal",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (errorCodes as readonly string[]).includes(code);
}

const marker = Symbol.for("netledger.error");

/**
 * A message echoes what the caller gave (a name, a reference): control characters in it are written
 * as escapes, so that a message never moves a terminal's cursor or changes its colours. Line breaks
 * and tabs of the message's own text stay.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export class NetledgerError extends Error {
  readonly [marker] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(printable(message));
    this.name = "NetledgerError";
  }

  toJSON(): { code: ErrorCode; message: string } & Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** Checked by marker, not instanceof, so errors from another copy of the module (a worker, a plugin) still count. */
export function isNetledgerError(e: unknown): e is NetledgerError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[marker] === true;
}

export const notFound = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("NotFound", message, details);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("Conflict", message, details);
export const invalid = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("InvalidParameter", message, details);
export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("Forbidden", message, details);
export const illegalState = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("IllegalState", message, details);
/** A pool with no address left, or no default pool left (libnetwork's ErrNoAvailableIPs, a NoService error). */
export const exhausted = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("Exhausted", message, details);
export const corrupt = (message: string, details?: Record<string, unknown>) =>
  new NetledgerError("Corrupt", message, details);

/** Turns anything thrown into a NetledgerError, keeping the code of one that already is. */
export function asNetledgerError(e: unknown, fallback: ErrorCode = "Internal"): NetledgerError {
  if (isNetledgerError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new NetledgerError(fallback, message);
}
