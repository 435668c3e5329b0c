import type { IncomingMessage, ServerResponse } from "node:http";
import { asNetledgerError, type ErrorCode, NetledgerError } from "../domain/errors.js";

/** The largest request body the daemon reads: commands are small; anything bigger is a mistake or an attack. */
export const bodyLimit = 1024 * 1024;
/** What is read and thrown away after a refused body before the connection is cut. */
const drainLimit = 16 * 1024 * 1024;

/**
 * HTTP status per error code, as libnetwork's api package maps its error classes. Forbidden is a
 * refusal of the state as it is ("already joined; leave it first"), so a conflict, not an auth failure.
 */
const statusByCode: Record<ErrorCode, number> = {
  InvalidParameter: 400,
  NotFound: 404,
  Conflict: 409,
  ActiveEndpoints: 409,
  Forbidden: 409,
  IllegalState: 409,
  InDoubt: 409,
  PluginUnavailable: 503,
  Unavailable: 503,
  ClusterUnavailable: 503,
  Timeout: 504,
  DriverError: 500,
  Corrupt: 500,
  Internal: 500,
  // An address space with nothing left to give: the request cannot be met as things stand.
  Exhausted: 409,
  // A driver or plugin answered, but not with anything usable: a bad gateway.
  BadResponse: 502,
};

/** An error with an HTTP status of its own (413, 415, 405), beside its code. */
export function httpError(status: number, code: ErrorCode, message: string): NetledgerError {
  return new NetledgerError(code, message, { httpStatus: status });
}

function statusOf(e: NetledgerError): number {
  const s = e.details["httpStatus"];
  return typeof s === "number" ? s : statusByCode[e.code] ?? 500;
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** `{"error":{"code","message"}}` with the status its code maps to. */
export function sendError(res: ServerResponse, e: unknown, headers: Record<string, string> = {}): void {
  const err = asNetledgerError(e);
  if (res.headersSent) {
    res.destroy(err); // a stream already under way: cutting it is the only way to say it failed
    return;
  }
  sendJson(res, statusOf(err), { error: { code: err.code, message: err.message } }, headers);
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** Whether the request carries a body at all (a declared length above 0, or chunks). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  if (len !== undefined) return Number(len) > 0;
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * Reads a body up to `limit` bytes. Past the limit it rejects with 413 and goes on reading and throwing
 * away the rest, so that the answer reaches the client and the connection can be used again; a client
 * that goes on sending past the drain limit is cut off.
 */
function collect(req: IncomingMessage, limit: number, keep: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > drainLimit) req.destroy();
        return;
      }
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(httpError(413, "InvalidParameter", `request body is over the limit of ${limit} bytes`));
        return;
      }
      if (keep) chunks.push(chunk);
    });
    req.on("end", () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** Discards a body that is refused before it is read. */
function drain(req: IncomingMessage): void {
  collect(req, 0, false).catch(() => {});
}

/**
 * Reads a JSON body: 413 over the limit, 415 for another content type, 400 for text that is not JSON
 * or not an object. No body at all reads as `{}` (every field of every body has a default or is
 * named missing by the command's schema).
 */
export async function readJsonBody(req: IncomingMessage, limit = bodyLimit): Promise<Record<string, unknown>> {
  if (!hasBody(req)) return {};
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    drain(req);
    throw httpError(413, "InvalidParameter", `request body of ${declared} bytes is over the limit of ${limit} bytes`);
  }
  if (!isJson(req.headers["content-type"])) {
    drain(req);
    throw httpError(
      415,
      "InvalidParameter",
      `request body must be application/json, not ${req.headers["content-type"] ?? "a body without a Content-Type"}`,
    );
  }
  const text = (await collect(req, limit, true)).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw httpError(400, "InvalidParameter", `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw httpError(400, "InvalidParameter", "request body must be a JSON object");
  return value as Record<string, unknown>;
}

/** Reads and discards a body a route does not take (still bounded). */
export async function skipBody(req: IncomingMessage, limit = bodyLimit): Promise<void> {
  if (hasBody(req)) await collect(req, limit, false);
}
