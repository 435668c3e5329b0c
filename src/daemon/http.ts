import type { FastifyReply } from "fastify";
import { asNetledgerError, type ErrorCode, NetledgerError } from "../domain/errors.js";

/** The largest request body the daemon reads: commands are small; anything bigger is a mistake or an attack. */
export const bodyLimit = 1024 * 1024;

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

export function statusOf(e: NetledgerError): number {
  const s = e.details["httpStatus"];
  return typeof s === "number" ? s : statusByCode[e.code] ?? 500;
}

/** A JSON answer, sent as bytes so that fastify appends no charset: the contract's Content-Type is application/json. */
export function sendJson(reply: FastifyReply, status: number, value: unknown, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers({ ...headers, "content-type": "application/json" }).send(Buffer.from(JSON.stringify(value)));
}

/** `{"error":{"code","message"}}` with the status its code maps to. */
export function sendError(reply: FastifyReply, e: unknown, headers: Record<string, string> = {}): FastifyReply {
  const err = asNetledgerError(e);
  return sendJson(reply, statusOf(err), { error: { code: err.code, message: err.message } }, headers);
}

/** Whether a content type is JSON: application/json or application/…+json. */
export const jsonType = /^application\/(?:[a-z0-9.+-]+\+)?json(?:\s*;.*)?$/i;

/**
 * A request body as text, parsed: no text is `{}` (every field of every body has a default or is named
 * missing by the command's schema); not JSON or not an object is a 400 that says so.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
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

/** A body that came with another content type than JSON: refused (415) by routes that take a body. */
export class NotJson {
  constructor(readonly contentType: string | undefined) {}
}

/** Fastify's own errors (its FST_ codes) in the daemon's words, with their status. */
export function frameworkError(e: { code?: string; statusCode?: number; message: string }, limit: number): NetledgerError | undefined {
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return httpError(413, "InvalidParameter", `request body is over the limit of ${limit} bytes`);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return httpError(400, "InvalidParameter", "request body is not as long as its Content-Length says");
    case "FST_ERR_BAD_URL":
      return httpError(400, "InvalidParameter", "the request path is not valid percent-encoding");
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) return httpError(e.statusCode, "InvalidParameter", e.message);
  return undefined;
}
