import { realpathSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerOptions } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import type { CallOptions } from "../api/contract.js";
import { LocalApi } from "../api/local.js";
import type { OpenOptions } from "../controller/controller.js";
import { defaultSocketPath } from "../controller/paths.js";
import { invalid } from "../domain/errors.js";
import { buildApp } from "./app.js";
import { bodyLimit } from "./http.js";
import { openApiRoute } from "./openapi.js";
import { routes } from "./routes.js";
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
  /**
   * How long a client may take to send a whole request, headers and body, in ms (default 30 s): a
   * client that trickles bytes is answered 408 and cut off, so it cannot hold a connection open.
   */
  requestTimeoutMs?: number;
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

/**
 * Node's own limits on a slow client: the headers within 10 s (or the request timeout if shorter),
 * the whole request within the request timeout, checked every second. They cover the request only,
 * not the answer, so a slow command or a followed stream is never cut.
 */
function serverTimeouts(requestTimeout: number): ServerOptions {
  const checkEvery = Math.max(100, Math.min(1000, Math.floor(requestTimeout / 4)));
  return { requestTimeout, headersTimeout: Math.min(10_000, requestTimeout), connectionsCheckingInterval: checkEvery };
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
      const { handler } = await buildApp([...routes, openApiRoute], {
        api,
        bodyLimit: opts.bodyLimit ?? bodyLimit,
        stopping: () => d.stopping !== undefined,
        begin: () => d.inFlight++,
        end: () => {
          d.inFlight--;
          if (d.inFlight === 0) d.idle?.();
        },
        requestOptions: (req) => {
          d.checkDatabase(req);
          return { call: d.callOptions(req) };
        },
        streams: d.streams.signal,
        log: (line) => d.log(line),
      });
      const timeouts = serverTimeouts(opts.requestTimeoutMs ?? 30_000);
      if (opts.socket !== false) {
        const path = opts.socket ?? defaultSocketPath();
        const server = createServer(timeouts, handler);
        d.servers.push(server);
        await listenUnix(server, path, opts.group);
        d.addresses.push(`unix://${path}`);
      }
      if (tcp) {
        const server = pem
          ? createTlsServer({ ...timeouts, ...pem, requestCert: true, rejectUnauthorized: true }, handler)
          : createServer(timeouts, handler);
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
