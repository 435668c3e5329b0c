import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { pathToFileURL } from "node:url";

/**
 * A Docker network/IPAM plugin for the tests (plugin-protocol.md), listening on a UNIX socket. It
 * records every call it receives (path, raw body, whether it acted) as a JSON line before it answers,
 * so the record survives the process being killed. What it answers is read per call from a control
 * file, so a test can make it fail, hang, answer malformed JSON or more than 1 MiB, or die in the
 * middle of a call (after acting, before answering). Run as its own process (`main`) or in-process.
 *
 * With `createInterfaces` (root tests) it makes a veth pair named `<ifPrefix><6 hex>` at Join and names
 * it in its answer, and deletes it at Leave, as real plugins do.
 */
export interface PluginConfig {
  socket: string;
  record: string;
  control: string;
  implements?: string[];
  scope?: string;
  createInterfaces?: boolean;
  ifPrefix?: string;
  /** Added to every Join answer (a Gateway, StaticRoutes…). */
  joinExtras?: Record<string, unknown>;
  /**
   * Pools as libnetwork's allocator keeps them: a request naming a pool held already takes one more
   * reference on it, a request naming none takes the next free pool (172.18.0.0/16, 172.19.0.0/16 …),
   * ReleasePool drops a reference (the pool and its addresses go at zero) and refuses a pool it does
   * not hold. Without it every request of a pool answers the same pool and one release removes it.
   */
  poolRefs?: boolean;
}

/** In-process only: answers a call itself (status and raw body), or undefined for the default behaviour. */
export type Override = (method: string, body: string, req: http.IncomingMessage) => { status?: number; body: string | object } | "drop" | undefined;

export type FaultMode = "fail" | "err200" | "hang" | "malformed" | "oversize" | "die" | "answer";

export interface Fault {
  mode: FaultMode;
  status?: number;
  /** For "answer": the JSON to answer with. */
  answer?: unknown;
  /** Raw body text for "fail" (default `{"Err":"injected failure"}`). */
  body?: string;
}

export interface RecordedCall {
  n: number;
  method: string;
  body: string;
  pid: number;
  /** The plugin changed its state for this call (it may still have failed to answer). */
  applied: boolean;
  answer: string;
}

type Json = Record<string, unknown>;

/** What the plugin holds, rebuilt from its record (so a restarted plugin knows it). */
export interface Holdings {
  networks: Set<string>;
  endpoints: Set<string>;
  joins: Set<string>;
  pools: Map<string, Set<string>>;
  /** References on each pool held (poolRefs mode; 1 per pool otherwise). */
  poolRefs: Map<string, number>;
}

export function readRecord(file: string): RecordedCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RecordedCall);
}

function parse(body: string): Json {
  try {
    return (JSON.parse(body || "{}") ?? {}) as Json;
  } catch {
    return {};
  }
}

/** The state a sequence of applied calls leaves the plugin in. */
export function holdingsOf(calls: readonly RecordedCall[], cfg?: Pick<PluginConfig, "poolRefs">): Holdings {
  const h: Holdings = { networks: new Set(), endpoints: new Set(), joins: new Set(), pools: new Map(), poolRefs: new Map() };
  for (const c of calls) if (c.applied) apply(h, c.method, parse(c.body), cfg?.poolRefs ? { poolRefs: true } : undefined);
  return h;
}

const poolDefault = "172.18.0.0/16";

/** Applies a call to the holdings; returns the answer a well-behaved plugin gives. */
function apply(h: Holdings, method: string, b: Json, cfg: Partial<PluginConfig> | undefined): Json {
  const ep = String(b["EndpointID"] ?? "");
  switch (method) {
    case "NetworkDriver.CreateNetwork":
      h.networks.add(String(b["NetworkID"]));
      return {};
    case "NetworkDriver.DeleteNetwork":
      h.networks.delete(String(b["NetworkID"]));
      return {};
    case "NetworkDriver.CreateEndpoint": {
      h.endpoints.add(ep);
      const iface = (b["Interface"] ?? {}) as Json;
      return iface["MacAddress"] ? {} : { Interface: { MacAddress: macFor(ep) } };
    }
    case "NetworkDriver.DeleteEndpoint":
      h.endpoints.delete(ep);
      return {};
    case "NetworkDriver.Join": {
      h.joins.add(ep);
      if (!cfg?.createInterfaces) return { ...(cfg?.joinExtras ?? {}) };
      const name = ifName(cfg, ep);
      // Looked up with ip in this process's namespace: sysfs would show its mounter's (inside `unshare -n`).
      if (!linkInNamespace(name)) execFileSync("ip", ["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
      return { InterfaceName: { SrcName: name, DstPrefix: "eth" }, ...(cfg.joinExtras ?? {}) };
    }
    case "NetworkDriver.Leave": {
      h.joins.delete(ep);
      if (cfg?.createInterfaces) {
        try {
          execFileSync("ip", ["link", "del", ifName(cfg, ep)], { stdio: "ignore" });
        } catch {
          // already gone
        }
      }
      return {};
    }
    case "NetworkDriver.EndpointOperInfo":
      return { Value: { endpoint: ep, held: h.endpoints.has(ep) } };
    case "IpamDriver.GetCapabilities":
      return { RequiresMACAddress: false };
    case "IpamDriver.GetDefaultAddressSpaces":
      return { LocalDefaultAddressSpace: "white", GlobalDefaultAddressSpace: "blue" };
    case "IpamDriver.RequestPool": {
      if (cfg?.poolRefs) return requestCountedPool(h, b);
      const pool = String(b["Pool"] || poolDefault);
      const id = [b["AddressSpace"], pool, ...(b["SubPool"] ? [b["SubPool"]] : [])].join("/");
      if (!h.pools.has(id)) h.pools.set(id, new Set());
      h.poolRefs.set(id, 1);
      return { PoolID: id, Pool: pool, Data: {} };
    }
    case "IpamDriver.ReleasePool": {
      const id = String(b["PoolID"]);
      if (cfg?.poolRefs) {
        const refs = h.poolRefs.get(id);
        if (refs === undefined) return { Error: `pool ${id} does not exist` };
        if (refs > 1) {
          h.poolRefs.set(id, refs - 1);
          return {};
        }
      }
      h.pools.delete(id);
      h.poolRefs.delete(id);
      return {};
    }
    case "IpamDriver.RequestAddress": {
      const id = String(b["PoolID"]);
      const used = h.pools.get(id) ?? new Set<string>();
      h.pools.set(id, used);
      const [, net, len] = /^[^/]*\/([\d.]+)\/(\d+)/.exec(id) ?? [];
      const base = (net ?? "172.18.0.0").split(".").map(Number);
      let addr = String(b["Address"] ?? "");
      if (addr === "") {
        for (let i = 1; i < 65000; i++) {
          const cand = [base[0], base[1], base[2]! + Math.floor(i / 256), i % 256].join(".");
          if (!used.has(cand) && i % 256 !== 0 && i % 256 !== 255) {
            addr = cand;
            break;
          }
        }
      }
      if (used.has(addr)) return { Error: `address ${addr} is in use` };
      used.add(addr);
      return { Address: `${addr}/${len ?? 16}`, Data: {} };
    }
    case "IpamDriver.ReleaseAddress":
      h.pools.get(String(b["PoolID"]))?.delete(String(b["Address"]));
      return {};
    default:
      return {};
  }
}

/** RequestPool in poolRefs mode (libnetwork's ipam allocator: RequestPool, updatePoolDBOnAdd). */
function requestCountedPool(h: Holdings, b: Json): Json {
  const space = String(b["AddressSpace"] ?? "");
  let pool = String(b["Pool"] ?? "");
  if (pool === "") {
    // A dynamic request: the next predefined pool nobody holds.
    for (let i = 18; i < 32 && pool === ""; i++) if (!h.poolRefs.has(`${space}/172.${i}.0.0/16`)) pool = `172.${i}.0.0/16`;
    if (pool === "") return { Error: "no predefined pool is free" };
  }
  const id = [space, pool, ...(b["SubPool"] ? [b["SubPool"]] : [])].join("/");
  h.poolRefs.set(id, (h.poolRefs.get(id) ?? 0) + 1);
  if (!h.pools.has(id)) h.pools.set(id, new Set());
  return { PoolID: id, Pool: pool, Data: {} };
}

function linkInNamespace(name: string): boolean {
  try {
    execFileSync("ip", ["link", "show", "dev", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function ifName(cfg: Partial<PluginConfig>, ep: string): string {
  return `${cfg.ifPrefix ?? "tnlrp"}${ep.slice(0, 6)}`;
}

function macFor(ep: string): string {
  const hex = (ep + "000000000000").slice(0, 10);
  return ["02", ...hex.match(/../g)!].join(":");
}

/** Methods a plugin answers that change nothing. */
const readOnly = new Set(["Plugin.Activate", "NetworkDriver.GetCapabilities", "NetworkDriver.EndpointOperInfo", "IpamDriver.GetCapabilities", "IpamDriver.GetDefaultAddressSpaces"]);
/** Methods this plugin has no handler for (404, as go-plugins-helpers answers). */
const unhandled = new Set(["NetworkDriver.ProgramExternalConnectivity", "NetworkDriver.RevokeExternalConnectivity"]);
const known = new Set([
  "Plugin.Activate",
  "NetworkDriver.GetCapabilities",
  "NetworkDriver.CreateNetwork",
  "NetworkDriver.DeleteNetwork",
  "NetworkDriver.CreateEndpoint",
  "NetworkDriver.DeleteEndpoint",
  "NetworkDriver.EndpointOperInfo",
  "NetworkDriver.Join",
  "NetworkDriver.Leave",
  "NetworkDriver.DiscoverNew",
  "NetworkDriver.DiscoverDelete",
  "IpamDriver.GetCapabilities",
  "IpamDriver.GetDefaultAddressSpaces",
  "IpamDriver.RequestPool",
  "IpamDriver.ReleasePool",
  "IpamDriver.RequestAddress",
  "IpamDriver.ReleaseAddress",
]);

export function readControl(file: string): Record<string, Fault> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, Fault>;
  } catch {
    return {};
  }
}

export interface RunningPlugin {
  server: http.Server;
  close(): Promise<void>;
}

export async function startPluginServer(cfg: PluginConfig, override?: Override): Promise<RunningPlugin> {
  const holdings = holdingsOf(readRecord(cfg.record), cfg);
  let n = readRecord(cfg.record).length;
  const record = (method: string, body: string, applied: boolean, answer: string) =>
    appendFileSync(cfg.record, JSON.stringify({ n: ++n, method, body, pid: process.pid, applied, answer } satisfies RecordedCall) + "\n");
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const method = (req.url ?? "/").slice(1);
      const body = Buffer.concat(chunks).toString("utf8");
      const send = (status: number, text: string) => {
        res.writeHead(status, { "Content-Type": "application/vnd.docker.plugins.v1.1+json" });
        res.end(text);
      };
      const custom = override?.(method, body, req);
      if (custom === "drop") {
        record(method, body, false, "drop");
        req.socket.destroy();
        return;
      }
      if (custom) {
        record(method, body, false, "override");
        return send(custom.status ?? 200, typeof custom.body === "string" ? custom.body : JSON.stringify(custom.body));
      }
      if (!known.has(method) || unhandled.has(method)) {
        record(method, body, false, "404");
        return send(404, "404 page not found\n");
      }
      const fault = readControl(cfg.control)[method];
      const errKey = method.startsWith("IpamDriver.") ? "Error" : "Err";
      if (method === "Plugin.Activate" && !fault) {
        record(method, body, false, "ok");
        return send(200, JSON.stringify({ Implements: cfg.implements ?? ["NetworkDriver"] }) + "\n");
      }
      if (method === "NetworkDriver.GetCapabilities" && !fault) {
        record(method, body, false, "ok");
        return send(200, JSON.stringify({ Scope: cfg.scope ?? "local" }));
      }
      switch (fault?.mode) {
        case "fail":
          record(method, body, false, "fail");
          return send(fault.status ?? 500, fault.body ?? JSON.stringify({ Err: "injected failure" }));
        case "err200":
          record(method, body, false, "err200");
          return send(200, JSON.stringify({ [errKey]: "injected failure" }));
        case "hang":
          record(method, body, false, "hang");
          return; // never answers
        case "answer":
          record(method, body, false, "answer");
          return send(fault.status ?? 200, JSON.stringify(fault.answer ?? {}));
        default:
          break;
      }
      let answer: Json;
      try {
        answer = apply(holdings, method, parse(body), cfg);
      } catch (e) {
        record(method, body, false, "error");
        return send(500, JSON.stringify({ Err: (e as Error).message }));
      }
      const applied = !readOnly.has(method) && !(typeof answer[errKey] === "string");
      switch (fault?.mode) {
        case "die":
          record(method, body, applied, "die");
          // Stop listening first: a call that connects while the kernel is still tearing the killed
          // process down would otherwise be accepted and then reset (read as "may have acted"), where a
          // plugin that is gone should refuse it (PluginUnavailable), as the tests of a dead plugin mean.
          server.close();
          process.kill(process.pid, "SIGKILL");
          return;
        case "malformed":
          record(method, body, applied, "malformed");
          return send(200, '{"Interface": {"MacAddress": ');
        case "oversize":
          record(method, body, applied, "oversize");
          return send(200, JSON.stringify({ Pad: "x".repeat(1024 * 1024 + 16) }));
        default:
          record(method, body, applied, "ok");
          return send(200, JSON.stringify(answer));
      }
    });
  });
  if (existsSync(cfg.socket)) rmSync(cfg.socket);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(cfg.socket, () => resolve()));
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as PluginConfig;
  await startPluginServer(cfg);
  process.stdout.write("listening\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void main();
