import { existsSync, readFileSync } from "node:fs";
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createInterface } from "node:readline";
import type {
  CallOptions,
  ConnectBody,
  DisconnectBody,
  Disconnected,
  DriverView,
  EndpointCreateBody,
  EventQuery,
  Health,
  NetledgerApi,
  NetworkCreateBody,
  Removed,
  SandboxCreateBody,
} from "../api/contract.js";
import type { RecoveryReport } from "../controller/controller.js";
import type { VerifyReport } from "../controller/verify.js";
import { invalid, isErrorCode, NetledgerError } from "../domain/errors.js";
import type { StoredEvent } from "../domain/events.js";
import type { EndpointView, NetworkView, SandboxView, StateView } from "../domain/views.js";
import type { Head } from "../store/eventLog.js";

/** Client certificate files for an https:// daemon (NETLEDGER_TLS_CERT, NETLEDGER_TLS_KEY, NETLEDGER_TLS_CA). */
export interface ClientTls {
  cert?: string;
  key?: string;
  ca?: string;
}

export interface ClientOptions {
  /** unix:///path/to.sock, https://host:port, or http://host:port (a daemon run with --insecure-tcp). */
  host: string;
  tls?: ClientTls;
  /** The database the caller means: the daemon refuses if it owns another. */
  db?: string;
  /** Who is acting, unless a call says otherwise. */
  actor?: string;
}

interface Target {
  request: typeof httpRequest;
  base: RequestOptions;
}

function target(o: ClientOptions): Target {
  const h = o.host;
  if (h.startsWith("unix://")) {
    const socketPath = h.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw invalid(`--host ${h}: a unix:// host takes an absolute path, as in unix:///run/netledger/netledger.sock`);
    return { request: httpRequest, base: { socketPath, agent: new HttpAgent({ keepAlive: true }) } };
  }
  let url: URL;
  try {
    url = new URL(h);
  } catch {
    throw invalid(`--host takes unix://PATH or https://HOST:PORT, not "${h}"`);
  }
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "http:") return { request: httpRequest, base: { host, port, agent: new HttpAgent({ keepAlive: true }) } };
  if (url.protocol !== "https:") throw invalid(`--host takes unix://PATH or https://HOST:PORT, not "${h}"`);
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw invalid(`cannot read ${what} ${path}: ${(e as Error).message}`);
    }
  };
  const tls = { cert: read("NETLEDGER_TLS_CERT", o.tls?.cert), key: read("NETLEDGER_TLS_KEY", o.tls?.key), ca: read("NETLEDGER_TLS_CA", o.tls?.ca) };
  const defined = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
  return { request: httpsRequest as typeof httpRequest, base: { host, port, agent: new HttpsAgent({ keepAlive: true, ...defined }) } };
}

/** Why a connection failed, in words a person can act on. */
function unreachable(host: string, e: NodeJS.ErrnoException): NetledgerError {
  const why =
    e.code === "ENOENT" || e.code === "ECONNREFUSED"
      ? "no daemon is listening there"
      : e.code === "EACCES"
        ? "permission denied (the socket is for its group's members)"
        : e.message;
  return new NetledgerError("Unavailable", `cannot reach the netledger daemon at ${host}: ${why}`, { errno: e.code });
}

/** A daemon's error answer as the error the library would have thrown. */
function answerError(status: number, text: string): NetledgerError {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e && typeof e.message === "string")
      return new NetledgerError(isErrorCode(e.code) ? e.code : "Internal", e.message);
  } catch {
    /* not JSON: say what came */
  }
  return new NetledgerError("Internal", `the daemon answered HTTP ${status}: ${text.slice(0, 200)}`);
}

const q = encodeURIComponent;

/**
 * The API over HTTP: each call is one request to a daemon, on a kept-alive connection. Errors come
 * back as the NetledgerErrors the daemon's library raised, so a caller cannot tell the two apart.
 */
export class HttpApi implements NetledgerApi {
  private readonly t: Target;

  constructor(private readonly o: ClientOptions) {
    this.t = target(o);
  }

  private headers(call: CallOptions = {}, body?: string): Record<string, string | number> {
    const h: Record<string, string | number> = { accept: "application/json" };
    if (body !== undefined) Object.assign(h, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    if (call.requestId !== undefined) {
      if (!/^[\x21-\x7e]+$/.test(call.requestId))
        throw invalid(`request id "${call.requestId}" must be printable ASCII without spaces to travel in an Idempotency-Key header`);
      h["idempotency-key"] = call.requestId;
    }
    const actor = call.actor ?? this.o.actor;
    if (actor !== undefined) h["netledger-actor"] = encodeURIComponent(actor);
    if (this.o.db !== undefined) h["netledger-db"] = encodeURIComponent(this.o.db);
    return h;
  }

  /** Sends one request; resolves with the response once its headers are in. */
  private send(method: string, path: string, call?: CallOptions, payload?: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers = this.headers(call, body);
    return new Promise((resolve, reject) => {
      const req = this.t.request({ ...this.t.base, method, path, headers, ...(signal ? { signal } : {}) }, resolve);
      req.on("error", (e: NodeJS.ErrnoException) => reject(e.name === "AbortError" ? e : unreachable(this.o.host, e)));
      req.end(body);
    });
  }

  private async call<T>(method: string, path: string, call?: CallOptions, payload?: unknown): Promise<T> {
    const res = await this.send(method, path, call, payload);
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks).toString("utf8");
    if ((res.statusCode ?? 500) >= 400) throw answerError(res.statusCode ?? 500, text);
    return JSON.parse(text) as T;
  }

  networks() {
    return this.call<NetworkView[]>("GET", "/networks");
  }
  network(ref: string) {
    return this.call<NetworkView>("GET", `/networks/${q(ref)}`);
  }
  createNetwork(body: NetworkCreateBody, o?: CallOptions) {
    return this.call<NetworkView>("POST", "/networks", o, body);
  }
  deleteNetwork(ref: string, force: boolean, o?: CallOptions) {
    return this.call<Removed>("DELETE", `/networks/${q(ref)}${force ? "?force=1" : ""}`, o);
  }
  connect(network: string, body: ConnectBody, o?: CallOptions) {
    return this.call<EndpointView>("POST", `/networks/${q(network)}/connect`, o, body);
  }
  disconnect(network: string, body: DisconnectBody, o?: CallOptions) {
    return this.call<Disconnected>("POST", `/networks/${q(network)}/disconnect`, o, body);
  }
  endpoints(network?: string) {
    return this.call<EndpointView[]>("GET", network === undefined ? "/endpoints" : `/networks/${q(network)}/endpoints`);
  }
  endpoint(network: string, ref: string) {
    return this.call<EndpointView>("GET", `/networks/${q(network)}/endpoints/${q(ref)}`);
  }
  createEndpoint(network: string, body: EndpointCreateBody, o?: CallOptions) {
    return this.call<EndpointView>("POST", `/networks/${q(network)}/endpoints`, o, body);
  }
  deleteEndpoint(network: string, ref: string, force: boolean, o?: CallOptions) {
    return this.call<Removed>("DELETE", `/networks/${q(network)}/endpoints/${q(ref)}${force ? "?force=1" : ""}`, o);
  }
  join(network: string, endpoint: string, sandbox: string, o?: CallOptions) {
    return this.call<EndpointView>("POST", `/networks/${q(network)}/endpoints/${q(endpoint)}/sandboxes`, o, { sandbox });
  }
  leave(network: string, endpoint: string, sandbox: string, o?: CallOptions) {
    return this.call<EndpointView>("DELETE", `/networks/${q(network)}/endpoints/${q(endpoint)}/sandboxes/${q(sandbox)}`, o);
  }
  sandboxes() {
    return this.call<SandboxView[]>("GET", "/sandboxes");
  }
  sandbox(ref: string) {
    return this.call<SandboxView>("GET", `/sandboxes/${q(ref)}`);
  }
  createSandbox(body: SandboxCreateBody, o?: CallOptions) {
    return this.call<SandboxView>("POST", "/sandboxes", o, body);
  }
  deleteSandbox(ref: string, force: boolean, o?: CallOptions) {
    return this.call<Removed>("DELETE", `/sandboxes/${q(ref)}${force ? "?force=1" : ""}`, o);
  }

  async *events(query: EventQuery = {}): AsyncGenerator<StoredEvent> {
    const params = new URLSearchParams();
    for (const k of ["since", "until", "stream", "type", "actor"] as const) if (query[k] !== undefined) params.set(k, String(query[k]));
    if (query.follow) params.set("follow", "1");
    const qs = params.toString();
    let res: IncomingMessage;
    try {
      res = await this.send("GET", `/events${qs ? `?${qs}` : ""}`, undefined, undefined, query.signal);
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      throw e;
    }
    if ((res.statusCode ?? 500) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
      throw answerError(res.statusCode ?? 500, Buffer.concat(chunks).toString("utf8"));
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) if (line !== "") yield JSON.parse(line) as StoredEvent;
    } catch (e) {
      if ((e as Error).name === "AbortError" || query.signal?.aborted) return;
      throw new NetledgerError("Unavailable", `the daemon at ${this.o.host} cut the event stream: ${(e as Error).message}`);
    } finally {
      res.destroy();
    }
    if (!res.complete && !query.signal?.aborted)
      throw new NetledgerError("Unavailable", `the daemon at ${this.o.host} cut the event stream short`);
  }

  state(until?: number | Date) {
    const u = until === undefined ? "" : `?until=${q(typeof until === "number" ? String(until) : until.toISOString())}`;
    return this.call<StateView>("GET", `/state${u}`);
  }
  head() {
    return this.call<Head>("GET", "/head");
  }
  verify(o: { expectHead?: string } = {}) {
    return this.call<VerifyReport>("POST", "/verify", undefined, o.expectHead !== undefined ? { expectHead: o.expectHead } : {});
  }
  snapshot() {
    return this.call<{ seq: number; stateHash: string }>("POST", "/snapshot");
  }
  recover() {
    return this.call<RecoveryReport>("POST", "/recover");
  }
  drivers() {
    return this.call<DriverView[]>("GET", "/drivers");
  }
  health() {
    return this.call<Health>("GET", "/health");
  }

  async close(): Promise<void> {
    (this.t.base.agent as HttpAgent).destroy();
  }
}

/**
 * Whether a daemon answers on a socket that exists: true if it does, false if nobody listens (a
 * socket left by a daemon that was killed); any other failure (permission denied) is an error, since
 * falling back to the database would only fail less clearly.
 */
export async function daemonAnswers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  const api = new HttpApi({ host: `unix://${socketPath}` });
  try {
    await api.health();
    return true;
  } catch (e) {
    const errno = e instanceof NetledgerError ? e.details["errno"] : undefined;
    if (errno === "ECONNREFUSED" || errno === "ENOENT") return false;
    throw e;
  } finally {
    await api.close();
  }
}
