import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";
import type {
  CallOptions,
  ConnectBody,
  DisconnectBody,
  EndpointCreateBody,
  EventQuery,
  NetledgerApi,
  NetworkCreateBody,
  SandboxCreateBody,
} from "../api/contract.js";
import {
  disconnectedSchema,
  driverViewSchema,
  endpointViewSchema,
  eventSchema,
  headSchema,
  healthSchema,
  networkViewSchema,
  recoveryReportSchema,
  removedSchema,
  sandboxViewSchema,
  snapshotSchema,
  stateViewSchema,
  verifyReportSchema,
} from "../api/schemas.js";
import { invalid, isErrorCode, NetledgerError } from "../domain/errors.js";
import { eventSchemas, isEventType, type StoredEvent } from "../domain/events.js";
import { issuesText } from "../domain/schemaIssues.js";
import { clusterStatusSchema, nodeViewSchema } from "../api/clusterSchemas.js";

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

/**
 * Where requests go: undici's Agent (kept-alive connections) and the origin its paths are put on. No
 * timeouts of undici's own: a command waits as long as its driver does (the daemon bounds that), and
 * a followed event stream may be quiet for hours.
 */
const noTimeouts = { headersTimeout: 0, bodyTimeout: 0 };

interface Target {
  agent: Agent;
  origin: string;
}

function target(o: ClientOptions): Target {
  const h = o.host;
  if (h.startsWith("unix://")) {
    const socketPath = h.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw invalid(`--host ${h}: a unix:// host takes an absolute path, as in unix:///run/netledger/netledger.sock`);
    return { agent: new Agent({ ...noTimeouts, connect: { socketPath } }), origin: "http://localhost" };
  }
  let url: URL;
  try {
    url = new URL(h);
  } catch {
    throw invalid(`--host takes unix://PATH or https://HOST:PORT, not "${h}"`);
  }
  if (url.protocol === "http:") return { agent: new Agent(noTimeouts), origin: url.origin };
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
  return { agent: new Agent({ ...noTimeouts, connect: defined }), origin: url.origin };
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

const networkList = z.array(networkViewSchema);
const endpointList = z.array(endpointViewSchema);
const sandboxList = z.array(sandboxViewSchema);
const driverList = z.array(driverViewSchema);
const nodeList = z.array(nodeViewSchema);

/**
 * A daemon's answer checked against the API's schema before the caller sees it: a daemon of another
 * version, or anything else listening there, is an error that says so rather than a crash later.
 * The value is the JSON as it came (zod's copy would reorder keys, and the CLI prints them in order).
 */
function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new NetledgerError("Internal", `the daemon's answer to ${what} is not what this netledger expects (${issuesText(r.error, 3)}): is it another version?`);
  }
  return value as z.output<S>;
}

/** One line of the event stream: an event of a type this netledger knows, its data checked against its schema. */
function checkedEvent(value: unknown): StoredEvent {
  const e = checked(eventSchema, value, "GET /events");
  if (!isEventType(e.type)) throw new NetledgerError("Internal", `the daemon sent event ${e.seq} of a type this netledger does not know ("${e.type}")`);
  checked(eventSchemas[e.type], e.data, `GET /events (event ${e.seq}, ${e.type})`);
  return value as StoredEvent;
}

/**
 * The API over HTTP: each call is one request to a daemon, on a kept-alive connection. Errors come
 * back as the NetledgerErrors the daemon's library raised, so a caller cannot tell the two apart.
 */
export class HttpApi implements NetledgerApi {
  private readonly t: Target;

  constructor(private readonly o: ClientOptions) {
    this.t = target(o);
  }

  private headers(call: CallOptions = {}, body?: string): Record<string, string> {
    const h: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) h["content-type"] = "application/json";
    if (call.requestId !== undefined) {
      if (!/^[\x21-\x7e]+$/.test(call.requestId))
        throw invalid(`request id "${call.requestId}" must be printable ASCII without spaces to travel in an Idempotency-Key header`);
      h["idempotency-key"] = call.requestId;
    }
    const actor = call.actor ?? this.o.actor;
    if (actor !== undefined) h["netledger-actor"] = encodeURIComponent(actor);
    if (call.labels !== undefined) h["netledger-labels"] = encodeURIComponent(JSON.stringify(call.labels));
    if (this.o.db !== undefined) h["netledger-db"] = encodeURIComponent(this.o.db);
    return h;
  }

  /** Sends one request; resolves with the response once its headers are in. */
  private async send(method: Dispatcher.HttpMethod, path: string, call?: CallOptions, payload?: unknown, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers = this.headers(call, body);
    try {
      return await this.t.agent.request({ origin: this.t.origin, path, method, headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
    } catch (e) {
      if ((e as Error).name === "AbortError" || signal?.aborted) throw e;
      throw unreachable(this.o.host, e as NodeJS.ErrnoException);
    }
  }

  private async call<S extends z.ZodType>(schema: S, method: Dispatcher.HttpMethod, path: string, call?: CallOptions, payload?: unknown): Promise<z.output<S>> {
    const res = await this.send(method, path, call, payload);
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw unreachable(this.o.host, e as NodeJS.ErrnoException);
    }
    if (res.statusCode >= 400) throw answerError(res.statusCode, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new NetledgerError("Internal", `the daemon's answer to ${method} ${path} is not JSON: ${text.slice(0, 200)}`);
    }
    return checked(schema, json, `${method} ${path}`);
  }

  networks() {
    return this.call(networkList, "GET", "/networks");
  }
  network(ref: string) {
    return this.call(networkViewSchema, "GET", `/networks/${q(ref)}`);
  }
  createNetwork(body: NetworkCreateBody, o?: CallOptions) {
    return this.call(networkViewSchema, "POST", "/networks", o, body);
  }
  deleteNetwork(ref: string, force: boolean, o?: CallOptions) {
    return this.call(removedSchema, "DELETE", `/networks/${q(ref)}${force ? "?force=1" : ""}`, o);
  }
  connect(network: string, body: ConnectBody, o?: CallOptions) {
    return this.call(endpointViewSchema, "POST", `/networks/${q(network)}/connect`, o, body);
  }
  disconnect(network: string, body: DisconnectBody, o?: CallOptions) {
    return this.call(disconnectedSchema, "POST", `/networks/${q(network)}/disconnect`, o, body);
  }
  endpoints(network?: string) {
    return this.call(endpointList, "GET", network === undefined ? "/endpoints" : `/networks/${q(network)}/endpoints`);
  }
  endpoint(network: string, ref: string) {
    return this.call(endpointViewSchema, "GET", `/networks/${q(network)}/endpoints/${q(ref)}`);
  }
  createEndpoint(network: string, body: EndpointCreateBody, o?: CallOptions) {
    return this.call(endpointViewSchema, "POST", `/networks/${q(network)}/endpoints`, o, body);
  }
  deleteEndpoint(network: string, ref: string, force: boolean, o?: CallOptions) {
    return this.call(removedSchema, "DELETE", `/networks/${q(network)}/endpoints/${q(ref)}${force ? "?force=1" : ""}`, o);
  }
  join(network: string, endpoint: string, sandbox: string, o?: CallOptions) {
    return this.call(endpointViewSchema, "POST", `/networks/${q(network)}/endpoints/${q(endpoint)}/sandboxes`, o, { sandbox });
  }
  leave(network: string, endpoint: string, sandbox: string, o?: CallOptions) {
    return this.call(endpointViewSchema, "DELETE", `/networks/${q(network)}/endpoints/${q(endpoint)}/sandboxes/${q(sandbox)}`, o);
  }
  sandboxes() {
    return this.call(sandboxList, "GET", "/sandboxes");
  }
  sandbox(ref: string) {
    return this.call(sandboxViewSchema, "GET", `/sandboxes/${q(ref)}`);
  }
  createSandbox(body: SandboxCreateBody, o?: CallOptions) {
    return this.call(sandboxViewSchema, "POST", "/sandboxes", o, body);
  }
  deleteSandbox(ref: string, force: boolean, o?: CallOptions) {
    return this.call(removedSchema, "DELETE", `/sandboxes/${q(ref)}${force ? "?force=1" : ""}`, o);
  }

  async *events(query: EventQuery = {}): AsyncGenerator<StoredEvent> {
    const params = new URLSearchParams();
    for (const k of ["since", "until", "stream", "type", "actor"] as const) if (query[k] !== undefined) params.set(k, String(query[k]));
    if (query.follow) params.set("follow", "1");
    const qs = params.toString();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.send("GET", `/events${qs ? `?${qs}` : ""}`, undefined, undefined, query.signal);
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      throw e;
    }
    if (res.statusCode >= 400) throw answerError(res.statusCode, await res.body.text());
    const lines = createInterface({ input: res.body, crlfDelay: Infinity });
    try {
      for await (const line of lines) if (line !== "") yield checkedEvent(JSON.parse(line));
    } catch (e) {
      if ((e as Error).name === "AbortError" || query.signal?.aborted) return;
      if (e instanceof NetledgerError) throw e;
      throw new NetledgerError("Unavailable", `the daemon at ${this.o.host} cut the event stream: ${(e as Error).message}`);
    } finally {
      res.body.destroy();
    }
  }

  state(until?: number | Date) {
    const u = until === undefined ? "" : `?until=${q(typeof until === "number" ? String(until) : until.toISOString())}`;
    return this.call(stateViewSchema, "GET", `/state${u}`);
  }
  head() {
    return this.call(headSchema, "GET", "/head");
  }
  verify(o: { expectHead?: string } = {}) {
    return this.call(verifyReportSchema, "POST", "/verify", undefined, o.expectHead !== undefined ? { expectHead: o.expectHead } : {});
  }
  snapshot() {
    return this.call(snapshotSchema, "POST", "/snapshot");
  }
  recover() {
    return this.call(recoveryReportSchema, "POST", "/recover");
  }
  drivers() {
    return this.call(driverList, "GET", "/drivers");
  }
  health() {
    return this.call(healthSchema, "GET", "/health");
  }
  clusterStatus() {
    return this.call(clusterStatusSchema, "GET", "/cluster");
  }
  nodes() {
    return this.call(nodeList, "GET", "/nodes");
  }

  async close(): Promise<void> {
    await this.t.agent.destroy();
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
