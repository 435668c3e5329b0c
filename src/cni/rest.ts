import { readFileSync } from "node:fs";
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { CallOptions, NetledgerApi } from "../api/contract.js";

/** What netledger-cni asks of netledger: a part of the API (src/api/contract.ts). */
export type CniApi = Pick<
  NetledgerApi,
  "network" | "sandbox" | "sandboxes" | "endpoints" | "createSandbox" | "deleteSandbox" | "deleteEndpoint" | "connect" | "disconnect" | "events" | "recover" | "close"
>;

/** A failure as the library raises it: a netledger error code and a message. */
class DaemonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * That part of the API over the daemon's REST routes (docs/interface.md §4), for the plugin alone: the
 * full daemon client checks every answer with the API's zod schemas, whose loading costs more than the
 * rest of a CNI call, and a runtime starts the plugin for every container start and stop. Answers are
 * checked only for what the plugin reads (an object with an id), and errors keep the daemon's code.
 */
export class RestApi implements CniApi {
  private readonly request: typeof httpRequest;
  private readonly base: RequestOptions;

  constructor(
    private readonly host: string,
    private readonly actor: string,
    tls: { cert?: string; key?: string; ca?: string } = {},
  ) {
    if (host.startsWith("unix://")) {
      this.request = httpRequest;
      this.base = { socketPath: host.slice("unix://".length), agent: new HttpAgent({ keepAlive: true }) };
      return;
    }
    const url = new URL(host);
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    if (url.protocol === "http:") {
      this.request = httpRequest;
      this.base = { host: hostname, port, agent: new HttpAgent({ keepAlive: true }) };
      return;
    }
    const files = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined).map(([k, v]) => [k, readFileSync(v!)]));
    this.request = httpsRequest as typeof httpRequest;
    this.base = { host: hostname, port, agent: new HttpsAgent({ keepAlive: true, ...files }) };
  }

  private send(method: string, path: string, call: CallOptions = {}, payload?: unknown): Promise<IncomingMessage> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers: Record<string, string | number> = { accept: "application/json", "netledger-actor": encodeURIComponent(call.actor ?? this.actor) };
    if (body !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    if (call.requestId !== undefined) headers["idempotency-key"] = call.requestId;
    if (call.labels !== undefined) headers["netledger-labels"] = encodeURIComponent(JSON.stringify(call.labels));
    return new Promise((resolve, reject) => {
      const req = this.request({ ...this.base, method, path, headers }, resolve);
      req.on("error", (e: NodeJS.ErrnoException) =>
        reject(new DaemonError("Unavailable", `cannot reach the netledger daemon at ${this.host}: ${e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "no daemon is listening there" : e.message}`)),
      );
      req.end(body);
    });
  }

  private async call<T>(method: string, path: string, call?: CallOptions, payload?: unknown): Promise<T> {
    const res = await this.send(method, path, call, payload);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    } catch (e) {
      throw new DaemonError("Unavailable", `the daemon at ${this.host} went away during ${method} ${path}: ${(e as Error).message}`);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DaemonError("BadResponse", `the daemon's answer to ${method} ${path} (HTTP ${res.statusCode}) is not JSON: ${text.slice(0, 200)}`);
    }
    if ((res.statusCode ?? 500) >= 400) {
      const e = (json as { error?: { code?: unknown; message?: unknown } }).error;
      throw new DaemonError(typeof e?.code === "string" ? e.code : "Internal", typeof e?.message === "string" ? e.message : `HTTP ${res.statusCode}`);
    }
    const bad = Array.isArray(json) ? json.some((x) => typeof x?.id !== "string") : typeof json !== "object" || json === null;
    if (bad) throw new DaemonError("BadResponse", `the daemon's answer to ${method} ${path} is not what netledger's API gives`);
    return json as T;
  }

  network: CniApi["network"] = (ref) => this.call("GET", `/networks/${q(ref)}`);
  sandbox: CniApi["sandbox"] = (ref) => this.call("GET", `/sandboxes/${q(ref)}`);
  sandboxes: CniApi["sandboxes"] = () => this.call("GET", "/sandboxes");
  endpoints: CniApi["endpoints"] = (network) => this.call("GET", network === undefined ? "/endpoints" : `/endpoints?network=${q(network)}`);
  createSandbox: CniApi["createSandbox"] = (body, o) => this.call("POST", "/sandboxes", o, body);
  deleteSandbox: CniApi["deleteSandbox"] = (ref, force, o) => this.call("DELETE", `/sandboxes/${q(ref)}${force ? "?force=1" : ""}`, o);
  deleteEndpoint: CniApi["deleteEndpoint"] = (network, ref, force, o) =>
    this.call("DELETE", `/networks/${q(network)}/endpoints/${q(ref)}${force ? "?force=1" : ""}`, o);
  connect: CniApi["connect"] = (network, body, o) => this.call("POST", `/networks/${q(network)}/connect`, o, body);
  disconnect: CniApi["disconnect"] = (network, body, o) => this.call("POST", `/networks/${q(network)}/disconnect`, o, body);
  recover: CniApi["recover"] = () => this.call("POST", "/recover", undefined, {});

  /** The log's events, as JSON lines; the plugin only asks whether a stream has any. */
  async *events(query: Parameters<CniApi["events"]>[0] = {}): AsyncGenerator<Awaited<ReturnType<CniApi["events"]> extends AsyncIterable<infer E> ? E : never>> {
    const params = new URLSearchParams();
    for (const k of ["since", "until", "stream", "type", "actor"] as const) if (query[k] !== undefined) params.set(k, String(query[k]));
    const res = await this.send("GET", `/events?${params.toString()}`);
    try {
      let buffered = "";
      for await (const c of res as AsyncIterable<Buffer>) {
        buffered += c.toString("utf8");
        if ((res.statusCode ?? 500) >= 400) continue;
        let i: number;
        while ((i = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          if (line !== "") yield JSON.parse(line);
        }
      }
      if ((res.statusCode ?? 500) >= 400) throw new DaemonError("Internal", `GET /events answered HTTP ${res.statusCode}: ${buffered.slice(0, 200)}`);
      if (buffered.trim() !== "") yield JSON.parse(buffered);
    } finally {
      res.destroy();
    }
  }

  async close(): Promise<void> {
    (this.base.agent as HttpAgent | undefined)?.destroy();
  }
}

const q = encodeURIComponent;
