import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";
import type { z } from "zod";
import { type ErrorCode, NetledgerError } from "../../domain/errors.js";
import { retryAbort, retryDelayMs } from "./backoff.js";
import type { PluginSpec } from "./discovery.js";
import { firstJsonValue, goEncode } from "./goJson.js";
import { issuesText } from "../../domain/schemaIssues.js";

/**
 * The HTTP client of one plugin (moby pkg/plugins/client.go, plugin-protocol.md §3): `POST /<Method>`
 * with the Accept header of the spec and no Content-Type, a keep-alive connection pool on the UNIX
 * socket or TCP (TLS for https), a timeout per call, answers capped at 1 MiB and read with Go's JSON
 * rules. Failures are classified so that the effect layer can apply its policy:
 *
 * - PluginUnavailable: the request provably never reached the plugin (nothing listening, no socket,
 *   a TLS handshake refused); retried here within the retry budget, then left to the effect layer's
 *   back-off;
 * - InDoubt: the connection broke after the request went out and before an answer: the plugin may
 *   have acted (calls without side effects are retried like the first kind, as Docker does);
 * - Timeout: no answer within the plugin timeout (the request is abandoned; it may have acted);
 * - NotFound (HTTP 404) or DriverError (any other status but 200), with `<Method>: <Err or body>`;
 * - BadResponse: an answer that is not JSON, too large, or of the wrong shape.
 *
 * Every message names the plugin and the call.
 */
const acceptHeader = "application/vnd.docker.plugins.v1.2+json";
const maxAnswerBytes = 1024 * 1024;
export const defaultPluginTimeoutMs = 30_000;

export interface ClientOptions {
  /** How long one call may take (default 30 s). */
  timeoutMs?: number;
  /** How long to keep retrying a plugin that cannot be reached (Docker: 30 s; default 0: the effect layer backs off). */
  retryBudgetMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The call changes nothing on the plugin (Activate, GetCapabilities, EndpointOperInfo…): it may be
   * sent again after any transport failure, as Docker does for every call.
   */
  idempotent?: boolean;
}

interface Answer {
  status: number;
  body: string;
}

/** Errors from a connect that never happened: the plugin never saw the request. */
const neverReached = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ENOTSOCK"]);

class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The request provably never reached the plugin. */
    readonly beforeSend: boolean,
  ) {
    super(message);
  }
}

export class PluginClient {
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly target: { socketPath?: string; host?: string; port?: number; hostHeader: string };
  readonly timeoutMs: number;
  private readonly retryBudgetMs: number;

  constructor(
    readonly spec: PluginSpec,
    opts: ClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? defaultPluginTimeoutMs;
    this.retryBudgetMs = opts.retryBudgetMs ?? 0;
    let url: URL;
    try {
      url = new URL(spec.addr);
    } catch {
      throw new NetledgerError("InvalidParameter", `plugin ${spec.name}: address "${spec.addr}" (from ${spec.source}) is not a URL`);
    }
    const scheme = url.protocol.replace(/:$/, "");
    if (scheme === "unix") {
      const path = url.host !== "" ? url.host + url.pathname : decodeURIComponent(url.pathname);
      if (Buffer.byteLength(path) > 108) throw new NetledgerError("InvalidParameter", `plugin ${spec.name}: Unix socket path "${path}" is too long`);
      this.mod = http;
      this.agent = new http.Agent({ keepAlive: true, maxFreeSockets: 2 });
      this.target = { socketPath: path, hostHeader: "plugin.moby.localhost" };
    } else {
      const port = url.port ? Number(url.port) : scheme === "https" ? 443 : 80;
      this.target = { host: url.hostname.replace(/^\[|\]$/g, ""), port, hostHeader: url.host };
      if (scheme === "https") {
        this.mod = https;
        this.agent = new https.Agent({ keepAlive: true, maxFreeSockets: 2, minVersion: "TLSv1.2", ...tlsOptions(spec) });
      } else {
        this.mod = http;
        this.agent = new http.Agent({ keepAlive: true, maxFreeSockets: 2 });
      }
    }
  }

  get name(): string {
    return this.spec.name;
  }

  /** The URL scheme used on the wire: https for https://, http for everything else (§9.7). */
  get httpScheme(): "http" | "https" {
    return this.mod === https ? "https" : "http";
  }

  /**
   * Calls `method` with `body` (undefined: an empty body, for calls without arguments) and decodes a
   * 200 answer with `schema`. Throws classified NetledgerErrors (see the class comment).
   */
  async call<S extends z.ZodType>(method: string, body: unknown, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
    const answer = await this.send(method, body, opts);
    if (answer.status !== 200) throw this.statusError(method, answer);
    let value: unknown;
    try {
      value = firstJsonValue(answer.body);
    } catch (e) {
      throw this.fail("BadResponse", method, `answered something that is not JSON: ${(e as Error).message}`);
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      throw this.fail("BadResponse", method, `answered JSON of the wrong shape (${issuesText(r.error)})`);
    }
    return r.data;
  }

  /**
   * The proxies' rule on top of `call` (§3.2 step 4): a 200 answer whose in-body error field is set
   * (`Err` for NetworkDriver, `Error` for IpamDriver) fails as `remote: <it>`.
   */
  async callChecked<F extends "Err" | "Error", S extends z.ZodType<Record<F, string>>>(
    method: string,
    body: unknown,
    schema: S,
    errorField: F,
    opts: CallOptions = {},
  ): Promise<z.output<S>> {
    const r = await this.call(method, body, schema, opts);
    const err = (r as Record<F, string>)[errorField];
    if (err !== "") throw this.fail("DriverError", method, `remote: ${err}`);
    return r;
  }

  /** The raw exchange, with the retry rule of §3.3 limited to requests that never reached the plugin. */
  async send(method: string, body: unknown, opts: CallOptions = {}): Promise<Answer> {
    const payload = body === undefined ? "" : goEncode(body);
    const first = Date.now();
    for (let failures = 0; ; failures++) {
      try {
        return await this.once(method, payload, opts.signal);
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        const retryable = e.beforeSend || opts.idempotent === true;
        const delay = retryDelayMs(failures);
        if (!retryable || retryAbort(delay, Date.now() - first, this.retryBudgetMs) || opts.signal?.aborted) throw this.transportFailure(method, e);
        await sleep(delay, opts.signal);
      }
    }
  }

  private once(method: string, payload: string, signal: AbortSignal | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        f();
      };
      const req = this.mod.request({
        method: "POST",
        path: `/${method}`,
        agent: this.agent,
        ...(this.target.socketPath !== undefined ? { socketPath: this.target.socketPath } : { host: this.target.host, port: this.target.port }),
        headers: {
          Host: this.target.hostHeader,
          Accept: acceptHeader,
          "User-Agent": "netledger",
          "Content-Length": Buffer.byteLength(payload),
        },
      });
      // Whether the request can have reached the plugin: a socket connected (and, for TLS, past its
      // handshake: a certificate refused means nothing was sent) and the request written.
      let connected = false;
      let sent = false;
      const tls = this.mod === https;
      req.on("socket", (s) => {
        // A pooled socket is connected already.
        if (!s.connecting) connected = true;
        else s.once(tls ? "secureConnect" : "connect", () => (connected = true));
      });
      req.on("finish", () => (sent = true));
      const timer = setTimeout(() => {
        done(() => reject(this.fail("Timeout", method, `no answer within ${this.timeoutMs} ms; the call was abandoned (the plugin may have acted)`)));
        req.destroy();
      }, this.timeoutMs);
      const onAbort = () => {
        done(() => reject(signal!.reason ?? this.fail("Timeout", method, "the call was abandoned")));
        req.destroy();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (e: NodeJS.ErrnoException) => {
        const code = e.code ?? "EUNKNOWN";
        const before = !sent && !connected && (neverReached.has(code) || tls);
        done(() => reject(new TransportError(e.message, code, before)));
      });
      req.on("response", (res) => {
        const declared = Number(res.headers["content-length"] ?? NaN);
        const tooLarge = () =>
          done(() => {
            reject(this.fail("BadResponse", method, `answered more than ${maxAnswerBytes} bytes (1 MiB); the answer was dropped (the plugin may have acted)`));
            res.destroy();
            req.destroy();
          });
        if (declared > maxAnswerBytes) return tooLarge();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxAnswerBytes) return tooLarge();
          chunks.push(c);
        });
        res.on("end", () => done(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") })));
        res.on("error", (e: NodeJS.ErrnoException) => done(() => reject(new TransportError(e.message, e.code ?? "EUNKNOWN", false))));
        res.on("aborted", () => done(() => reject(new TransportError("the connection closed in the middle of the answer", "ECONNRESET", false))));
      });
      req.end(payload);
    });
  }

  private statusError(method: string, a: Answer): NetledgerError {
    let text = a.body;
    try {
      const v = firstJsonValue(a.body) as { Err?: unknown } | null;
      if (v && typeof v === "object" && typeof v.Err === "string" && v.Err !== "") text = v.Err;
    } catch {
      // not JSON: the raw body is the message (Docker since 2016-01)
    }
    const code: ErrorCode = a.status === 404 ? "NotFound" : "DriverError";
    return this.fail(code, method, text.trimEnd() || `HTTP ${a.status} with an empty body`, { status: a.status });
  }

  private transportFailure(method: string, e: TransportError): NetledgerError {
    if (e.beforeSend)
      return new NetledgerError("PluginUnavailable", `plugin ${this.name} (${this.spec.addr}) cannot be reached: ${e.message}`, {
        plugin: this.name,
        method,
      });
    return this.fail("InDoubt", method, `the connection was lost before an answer (${e.code}: ${e.message}); the plugin may have acted`);
  }

  fail(code: ErrorCode, method: string, message: string, details: Record<string, unknown> = {}): NetledgerError {
    return new NetledgerError(code, `plugin ${this.name}: ${method}: ${message}`, { plugin: this.name, method, ...details });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The call options of an effect's call: its abort signal. */
export function effectCallOptions(call: { signal?: AbortSignal }): CallOptions {
  return call.signal ? { signal: call.signal } : {};
}

function tlsOptions(spec: PluginSpec): https.AgentOptions {
  // A .spec file's https is never verified (Docker gives it InsecureSkipVerify); a .json without TLSConfig uses the system's roots.
  if (!spec.tls) return spec.insecure ? { rejectUnauthorized: false } : {};
  const t = spec.tls;
  const read = (f: string) => readFileSync(f);
  return {
    rejectUnauthorized: !t.insecureSkipVerify,
    ...(t.caFile ? { ca: [...rootCertificates, read(t.caFile)] } : {}),
    ...(t.certFile && t.keyFile ? { cert: read(t.certFile), key: read(t.keyFile) } : {}),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
