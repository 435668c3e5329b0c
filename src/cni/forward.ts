import { readFileSync } from "node:fs";
import { type IncomingMessage, request as httpRequest, type RequestOptions } from "node:http";
import { CniError, cniCodes } from "./spec.js";

/**
 * The plugin's side of a call a daemon carries: the CNI_* variables and the config, as the runtime
 * gave them, sent in one request (`POST /cni`, docs/interface.md §5) to the daemon, which runs the
 * call against its own controller and answers with the exit status and what to print. The plugin
 * process then loads nothing of netledger but this file and config/spec.ts: no store, no drivers, no
 * schemas, and one round trip however many look-ups the call makes.
 */

/** What the daemon answers: the exit status and the object to print (none for a DEL that succeeded). */
export interface Forwarded {
  exitCode: number;
  output: Record<string, unknown> | null;
}

/** The variables of the CNI protocol: the only part of the plugin's environment the daemon sees. */
export function cniVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"]) if (env[k] !== undefined) out[k] = env[k]!;
  return out;
}

/** Where the request goes: a UNIX socket (unix://PATH), or http(s)://HOST:PORT with the CLI's TLS files. */
async function endpoint(host: string, env: NodeJS.ProcessEnv): Promise<{ request: typeof httpRequest; base: RequestOptions }> {
  if (host.startsWith("unix://")) return { request: httpRequest, base: { socketPath: host.slice("unix://".length) } };
  const url = new URL(host);
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "http:") return { request: httpRequest, base: { host: hostname, port: url.port || "80" } };
  const tls: Record<string, Buffer> = {};
  for (const [k, v] of [["cert", "NETLEDGER_TLS_CERT"], ["key", "NETLEDGER_TLS_KEY"], ["ca", "NETLEDGER_TLS_CA"]] as const) if (env[v]) tls[k] = readFileSync(env[v]!);
  const { request } = await import("node:https");
  return { request: request as typeof httpRequest, base: { host: hostname, port: url.port || "443", ...tls } };
}

const unreachable = (host: string, why: string) => new CniError(cniCodes.tryAgainLater, `cannot reach the netledger daemon at ${host}: ${why}`, "netledger Unavailable");

/** Sends one CNI call to the daemon at `host`; a daemon that cannot be reached, or goes away, is "try again later" (11). */
export async function forward(host: string, env: NodeJS.ProcessEnv, config: string): Promise<Forwarded> {
  const { request, base } = await endpoint(host, env);
  const body = JSON.stringify({ env: cniVariables(env), config });
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), accept: "application/json", "netledger-actor": "cni" };
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ ...base, method: "POST", path: "/cni", headers }, resolve);
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(unreachable(host, e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "no daemon is listening there" : e.message)),
    );
    req.end(body);
  });
  let text = "";
  try {
    for await (const c of res as AsyncIterable<Buffer>) text += c.toString("utf8");
  } catch (e) {
    throw unreachable(host, `it went away during the call (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CniError(cniCodes.ioFailure, `the netledger daemon at ${host} answered HTTP ${res.statusCode} with something that is not JSON`, text.slice(0, 200));
  }
  const status = res.statusCode ?? 500;
  if (status >= 400) {
    const e = (json as { error?: { code?: unknown; message?: unknown } }).error;
    const code = typeof e?.code === "string" ? e.code : "Internal";
    // A stopping daemon answers Unavailable: the runtime's retry reaches the next one.
    if (code === "Unavailable") throw unreachable(host, typeof e?.message === "string" ? e.message : "it is unavailable");
    throw Object.assign(new Error(typeof e?.message === "string" ? e.message : `HTTP ${status}`), { code });
  }
  const r = json as Partial<Forwarded>;
  if (typeof r.exitCode !== "number" || (r.output !== null && typeof r.output !== "object"))
    throw new CniError(cniCodes.ioFailure, `the netledger daemon at ${host} answered POST /cni with something that is not a CNI call's outcome`);
  return { exitCode: r.exitCode, output: r.output ?? null };
}
