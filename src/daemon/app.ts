import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { once } from "node:events";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import type { NetledgerApi } from "../api/contract.js";
import { invalid, NetledgerError } from "../domain/errors.js";
import { frameworkError, httpError, jsonType, NotJson, parseJsonObject, sendError, sendJson } from "./http.js";
import type { Route, RouteRequest } from "./route.js";

/**
 * The daemon's routes on fastify: fastify routes and reads bodies (bounded, drained when refused);
 * each route's own zod schemas parse the body and the query (route.ts), as the library would. What the
 * app does not know of itself it asks its host (the Daemon): the request's call options, whether the
 * named database is the one served, whether it is stopping, and where to report failures.
 */
export interface AppHost {
  api: NetledgerApi;
  bodyLimit: number;
  stopping(): boolean;
  /** Called around every routed request, so that a stop can wait for those in flight. */
  begin(): void;
  end(): void;
  requestOptions(req: IncomingMessage): Pick<RouteRequest, "call">;
  /** Aborted when the daemon stops: ends followed streams. */
  streams: AbortSignal;
  log(line: string): void;
}

const methods = ["GET", "POST", "DELETE", "PUT", "PATCH"] as const;

/** Whether the client has gone: its request aborted or its socket closed. */
function clientGone(req: IncomingMessage): boolean {
  return req.socket.destroyed || (req.destroyed && !req.complete);
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Builds the app and hands back the request handler the daemon's servers call. */
export async function buildApp(table: readonly Route[], host: AppHost): Promise<{ handler: RequestHandler; close: () => Promise<void> }> {
  let handler: RequestHandler | undefined;
  const app = Fastify({
    bodyLimit: host.bodyLimit,
    logger: false,
    routerOptions: { ignoreTrailingSlash: true },
    // The daemon makes its servers (a UNIX socket with its mode, HTTPS with client certificates) and
    // passes them fastify's handler; fastify never listens itself.
    serverFactory: (h) => {
      handler = h;
      return createServer();
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(jsonType, { parseAs: "string" }, (_req, text, done) => {
    try {
      done(null, parseJsonObject(String(text)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // Any other body is drained (bounded by the same limit) and refused by routes that take one.
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, _buf, done) => done(null, new NotJson(req.headers["content-type"])));

  // A callback hook, not an async one: it runs on every request, and a promise per request shows.
  app.addHook("onRequest", (_req, reply, done) => {
    if (host.stopping()) sendError(reply, new NetledgerError("Unavailable", "the daemon is shutting down"), { connection: "close" });
    else done();
  });

  app.setErrorHandler((thrown: Error & { code?: string; statusCode?: number }, req, reply) => {
    const e = thrown;
    const known = e instanceof NetledgerError ? e : frameworkError(e, host.bodyLimit);
    if (clientGone(req.raw)) {
      // A client that went away mid-request is nothing to debug: one line, no stack.
      host.log(`${req.method} ${req.url}: the client went away (${e.message})`);
      return reply.send();
    }
    if (!known || (known.code === "Internal" && !known.details["httpStatus"])) host.log(`${req.method} ${req.url}: ${e.stack ?? e.message}`);
    return sendError(reply, known ?? e);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    return sendError(reply, httpError(404, "NotFound", `no route for ${req.method} ${path}; GET /openapi.json lists them`));
  });

  const byPath = new Map<string, Route[]>();
  for (const r of table) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, rs] of byPath) {
    const url = path.replace(/\{(\w+)\}/g, ":$1");
    const allowed = rs.map((r) => r.method);
    for (const r of rs) app.route({ method: r.method, url, handler: (req, reply) => serve(r, req, reply) });
    // libnetwork's router answers a known path with a wrong method 405, naming the methods it takes.
    const others = methods.filter((m) => !allowed.some((a) => a === m));
    app.route({
      method: others,
      url,
      handler: (req, reply) =>
        sendError(reply, httpError(405, "InvalidParameter", `${req.method} is not allowed on ${req.url.split("?")[0]}; use ${allowed.join(" or ")}`), {
          allow: allowed.join(", "),
        }),
    });
  }

  async function serve(r: Route, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    host.begin();
    try {
      let body: Record<string, unknown> = {};
      if (r.body) {
        if (req.body instanceof NotJson)
          throw httpError(415, "InvalidParameter", `request body must be application/json, not ${req.body.contentType ?? "a body without a Content-Type"}`);
        if (req.body !== undefined) body = req.body as Record<string, unknown>;
        refuseUnknownFields(r, body);
      }
      const { call } = host.requestOptions(req.raw);
      const closed = new AbortController();
      reply.raw.once("close", () => closed.abort());
      const query = new URLSearchParams(req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "");
      const params = req.params as Record<string, string>;
      const result = r.handle(host.api, { params, query, body, call, signal: AbortSignal.any([closed.signal, host.streams]) });
      if (r.stream) {
        reply.hijack();
        await stream(reply.raw, result as AsyncIterable<unknown>);
        return reply;
      }
      const value = await result;
      return sendJson(reply, r.status ?? 200, value, host.stopping() ? { connection: "close" } : {});
    } catch (e) {
      if (reply.sent || reply.raw.headersSent) {
        // A stream already under way: cutting it is the only way to say it failed.
        if (!clientGone(req.raw)) host.log(`${req.method} ${req.url}: stream cut: ${(e as Error).message}`);
        reply.raw.destroy();
        return reply;
      }
      throw e;
    } finally {
      host.end();
    }
  }

  await app.ready();
  if (!handler) throw new Error("fastify did not hand over its request handler");
  return { handler, close: () => app.close() };
}

/** Zod strips fields it does not know; an API should say so instead (a typo must not pass silently). */
function refuseUnknownFields(route: Route, body: Record<string, unknown>): void {
  const known = new Set(Object.keys(route.body!.shape));
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw invalid(
      `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} in the body of ${route.method} ${route.path}; known: ${[...known].join(", ")}`,
    );
}

/** JSON lines, with back-pressure; the headers go at once so that a follower knows it is connected. */
async function stream(res: ServerResponse, items: AsyncIterable<unknown>): Promise<void> {
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  res.flushHeaders();
  for await (const item of items) {
    if (res.destroyed) break;
    if (!res.write(JSON.stringify(item) + "\n")) await Promise.race([once(res, "drain"), once(res, "close")]);
  }
  res.end();
}
