import { realpathSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { once } from "node:events";
import type { CallOptions } from "../api/contract.js";
import { LocalApi } from "../api/local.js";
import type { OpenOptions } from "../controller/controller.js";
import { defaultSocketPath } from "../controller/paths.js";
import { invalid, NetledgerError } from "../domain/errors.js";
import { bodyLimit, httpError, readJsonBody, sendError, sendJson, skipBody } from "./http.js";
import { openApiRoute } from "./openapi.js";
import { type Route, Router, routes } from "./routes.js";
import { listenUnix } from "./socket.js";

export interface TlsFiles {
  cert: string;
  key: string;
  /** The CA that signs the client certificates the daemon accepts. */
  ca: string;
}

export interface DaemonOptions {
  /** Options for the controller the daemon opens (the database, drivers…). */
  controller?: OpenOptions;
  /** The UNIX socket; default /run/netledger/netledger.sock for root; false for none. */
  socket?: string | false;
  /** The socket's group (name or gid): its members may use the daemon. Default: the daemon's own group. */
  group?: string;
  /** HOST:PORT to serve HTTPS on as well. */
  listen?: string;
  /** For --listen: HTTPS that requires a client certificate signed by `ca`. */
  tls?: TlsFiles;
  /** For --listen without TLS: plain HTTP on TCP, for a trusted network only. */
  insecureTcp?: boolean;
  /** Largest request body, in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Where the daemon reports what it does (listening, stopping, failed requests). */
  log?: (line: string) => void;
}

/** HOST:PORT, with [v6]:PORT. */
function hostPort(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw invalid(`--listen takes HOST:PORT, not "${listen}"`);
  const port = Number(m[3]);
  if (port > 65535) throw invalid(`--listen port ${port} is out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw invalid(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function decoded(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    throw invalid(`header ${name} is not valid percent-encoding`);
  }
}

/** The Netledger-Labels header: a JSON object of strings, or a clear refusal. */
function labelsOf(v: string | undefined): Record<string, string> | undefined {
  if (v === undefined || v === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((x) => typeof x !== "string"))
    throw invalid("header Netledger-Labels must be a JSON object whose values are strings");
  return parsed as Record<string, string>;
}

/**
 * `netledger serve`: one long-lived owner of the log that others send their commands to, over HTTP on
 * a UNIX socket and optionally HTTPS with client certificates. Commands from all clients share the
 * controller's group commit. Stopping stops accepting, lets the requests in flight finish (their
 * commands committed and their effects settled), then closes the log.
 */
export class Daemon {
  private readonly servers: Server[] = [];
  private readonly router = new Router([...routes, openApiRoute]);
  private readonly streams = new AbortController();
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Where it listens: unix:///path, https://host:port, http://host:port. */
  readonly addresses: string[] = [];
  private readonly dbReal: string;

  private constructor(
    readonly api: LocalApi,
    private readonly opts: DaemonOptions,
  ) {
    this.dbReal = realpathSync(api.controller.path);
  }

  static async start(opts: DaemonOptions = {}): Promise<Daemon> {
    if (opts.tls && opts.insecureTcp) throw invalid("--insecure-tcp and --tls-cert/--tls-key/--tls-ca exclude each other");
    if (opts.listen !== undefined && !opts.tls && !opts.insecureTcp)
      throw invalid("--listen needs --tls-cert, --tls-key and --tls-ca (clients must show a certificate), or --insecure-tcp");
    if (opts.tls && opts.listen === undefined) throw invalid("--tls-cert, --tls-key and --tls-ca go with --listen HOST:PORT");
    if (opts.socket === false && opts.listen === undefined) throw invalid("the daemon needs a socket or --listen");
    const tcp = opts.listen !== undefined ? hostPort(opts.listen) : undefined;
    const pem = opts.tls && { cert: readPem("--tls-cert", opts.tls.cert), key: readPem("--tls-key", opts.tls.key), ca: readPem("--tls-ca", opts.tls.ca) };

    const api = await LocalApi.open(opts.controller ?? {});
    const d = new Daemon(api, opts);
    try {
      const handler = (req: IncomingMessage, res: ServerResponse) => void d.handle(req, res);
      if (opts.socket !== false) {
        const path = opts.socket ?? defaultSocketPath();
        const server = createServer(handler);
        d.servers.push(server);
        await listenUnix(server, path, opts.group);
        d.addresses.push(`unix://${path}`);
      }
      if (tcp) {
        const server = pem
          ? createTlsServer({ ...pem, requestCert: true, rejectUnauthorized: true }, handler)
          : createServer(handler);
        d.servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(tcp.port, tcp.host, () => resolve());
        }).catch((e) => {
          throw invalid(`cannot listen on ${opts.listen}: ${(e as Error).message}`);
        });
        const a = server.address();
        const port = typeof a === "object" && a ? a.port : tcp.port;
        const host = tcp.host.includes(":") ? `[${tcp.host}]` : tcp.host;
        d.addresses.push(`${pem ? "https" : "http"}://${host}:${port}`);
      }
    } catch (e) {
      await d.stop();
      throw e;
    }
    return d;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.stopping) {
      sendError(res, new NetledgerError("Unavailable", "the daemon is shutting down"), { connection: "close" });
      return;
    }
    this.inFlight++;
    try {
      const url = new URL(req.url ?? "/", "http://netledger");
      const match = this.router.match(req.method ?? "GET", url.pathname);
      if (!match) throw httpError(404, "NotFound", `no route for ${req.method} ${url.pathname}; GET /openapi.json lists them`);
      if ("allowed" in match) {
        await skipBody(req).catch(() => {});
        sendError(res, httpError(405, "InvalidParameter", `${req.method} is not allowed on ${url.pathname}; use ${match.allowed.join(" or ")}`), {
          allow: match.allowed.join(", "),
        });
        return;
      }
      const { route, params } = match;
      const limit = this.opts.bodyLimit ?? bodyLimit;
      const body = route.body ? await readJsonBody(req, limit) : (await skipBody(req, limit), {});
      if (route.body) this.refuseUnknownFields(route, body);
      this.checkDatabase(req);
      const closed = new AbortController();
      res.once("close", () => closed.abort());
      const request = { params, query: url.searchParams, body, call: this.callOptions(req), signal: AbortSignal.any([closed.signal, this.streams.signal]) };
      const result = route.handle(this.api, request);
      if (route.stream) await this.stream(res, result as AsyncIterable<unknown>);
      else sendJson(res, route.status ?? 200, await result, this.stopping ? { connection: "close" } : {});
    } catch (e) {
      if (!(e instanceof NetledgerError) || (e.code === "Internal" && !e.details["httpStatus"]))
        this.log(`${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sendError(res, e);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  /** Zod strips fields it does not know; an API should say so instead (a typo must not pass silently). */
  private refuseUnknownFields(route: Route, body: Record<string, unknown>): void {
    const known = new Set(Object.keys(route.body!.shape));
    const unknown = Object.keys(body).filter((k) => !known.has(k));
    if (unknown.length > 0)
      throw invalid(
        `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} in the body of ${route.method} ${route.path}; known: ${[...known].join(", ")}`,
      );
  }

  /** A client that names a database (`--db`) must be talking to the daemon that owns that one. */
  private checkDatabase(req: IncomingMessage): void {
    const named = decoded(headerValue(req, "netledger-db"), "Netledger-Db");
    if (named === undefined) return;
    let real: string;
    try {
      real = realpathSync(named);
    } catch {
      real = named;
    }
    if (real !== this.dbReal)
      throw invalid(`this daemon serves the database ${this.dbReal}, not ${named}: leave out --db to use it, or --host to open ${named} directly`);
  }

  /** The request id and the actor: a TLS client with no actor of its own is named by its certificate. */
  private callOptions(req: IncomingMessage): CallOptions {
    const requestId = headerValue(req, "idempotency-key");
    let actor = decoded(headerValue(req, "netledger-actor"), "Netledger-Actor");
    if (actor === undefined && "getPeerCertificate" in req.socket) {
      const cn = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
      if (typeof cn === "string" && cn !== "") actor = cn;
    }
    const labels = labelsOf(decoded(headerValue(req, "netledger-labels"), "Netledger-Labels"));
    return { ...(requestId !== undefined && requestId !== "" ? { requestId } : {}), ...(actor ? { actor } : {}), ...(labels ? { labels } : {}) };
  }

  /** JSON lines, with back-pressure; the headers go at once so that a follower knows it is connected. */
  private async stream(res: ServerResponse, items: AsyncIterable<unknown>): Promise<void> {
    res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
    res.flushHeaders();
    for await (const item of items) {
      if (res.destroyed) break;
      if (!res.write(JSON.stringify(item) + "\n")) await Promise.race([once(res, "drain"), once(res, "close")]);
    }
    res.end();
  }

  /** Stops accepting, ends followed streams, waits for the requests in flight, then closes the log. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log("stopping: finishing the requests in flight");
      const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const s of this.servers) s.closeIdleConnections();
      this.streams.abort();
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await this.api.close();
      for (const s of this.servers) s.closeAllConnections();
      await Promise.all(closing);
      for (const a of this.addresses) if (a.startsWith("unix://")) rmSync(a.slice("unix://".length), { force: true });
      this.log("stopped");
    })();
    return this.stopping;
  }
}
