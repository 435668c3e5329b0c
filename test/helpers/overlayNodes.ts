import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpApi } from "../../src/daemon/client.js";
import { etcdBinary } from "./etcdCluster.js";
import { until } from "./wait.js";

const cliPath = fileURLToPath(new URL("../../bin/netledger.js", import.meta.url));

/**
 * Hosts simulated as network namespaces (prefix `nlo`): an underlay namespace holding a bridge, and per
 * node a namespace on a veth to it with an underlay address 10.213.<n>.<i>/24, running one etcd member
 * and one `netledger serve` (own database and run directory) on that address. Processes are started
 * with `nsenter --net` (no mount namespace of their own), so the sandbox namespaces a node's serve
 * binds under its run directory are visible to the test.
 */
export interface OverlayNode {
  name: string;
  ns: string;
  address: string;
  db: string;
  runDir: string;
  socket: string;
  etcd: ChildProcess;
  serve: ChildProcess | null;
  api: HttpApi | null;
  serveLog: string;
}

export interface OverlayHosts {
  tag: string;
  nodes: OverlayNode[];
  dir: string;
  /** Starts (again) the node's serve; `env` adds to its environment (NETLEDGER_TEST_HALT, say). */
  start(n: OverlayNode, env?: NodeJS.ProcessEnv): Promise<void>;
  kill(n: OverlayNode): Promise<void>;
  cli(n: OverlayNode, args: string[]): string;
  teardown(): Promise<void>;
}

const sh = (p: string, a: string[]): string => execFileSync(p, a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Whether every member at `urls` answers /health with true, asked from inside namespace `ns`. */
function membersHealthy(ns: string, urls: string[]): boolean {
  const probe = `Promise.all(${JSON.stringify(urls)}.map((u) => fetch(u + "/health", { signal: AbortSignal.timeout(2000) }).then((r) => r.json())))
    .then((a) => process.exit(a.every((b) => b.health === "true") ? 0 : 1), () => process.exit(1));`;
  try {
    sh("nsenter", [`--net=${nsPath(ns)}`, "--", process.execPath, "-e", probe]);
    return true;
  } catch {
    return false;
  }
}
const nsPath = (ns: string): string => `/run/netns/${ns}`;

/** `prefix` names every namespace, link and folder made (three letters, `nlo` unless a test asks another). */
export async function startOverlayHosts(count: number, serveArgs: string[] = [], prefix = "nlo"): Promise<OverlayHosts> {
  const tag = randomBytes(2).toString("hex");
  const subnet = 1 + (randomBytes(1)[0]! % 200);
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const under = `${prefix}-u${tag}`;
  const nodes: OverlayNode[] = [];
  const hosts: OverlayHosts = {
    tag,
    nodes,
    dir,
    start: (n, env) => startServe(n, nodes, serveArgs, env),
    kill: async (n) => {
      const c = n.serve;
      n.serve = null;
      await n.api?.close().catch(() => undefined);
      n.api = null;
      if (c && c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once("exit", r));
        c.kill("SIGKILL");
        await gone;
      }
    },
    cli: (n, args) =>
      execFileSync("nsenter", [`--net=${nsPath(n.ns)}`, "--", process.execPath, cliPath, "--db", n.db, ...args], {
        encoding: "utf8",
        env: { ...process.env, NETLEDGER_HOST: "", ...envOf(n, nodes) },
      }),
    teardown: async () => {
      for (const n of nodes) {
        if (n.serve && n.serve.exitCode === null) {
          const gone = new Promise((r) => n.serve!.once("exit", r));
          n.serve.kill("SIGTERM");
          await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
          n.serve.kill("SIGKILL");
        }
        await n.api?.close().catch(() => undefined);
      }
      for (const n of nodes) if (n.etcd.exitCode === null) n.etcd.kill("SIGKILL");
      for (const n of nodes) {
        // Sandbox namespaces the node's serve bound under its run directory.
        try {
          for (const f of sh("find", [join(n.runDir, "netns"), "-maxdepth", "1", "-type", "f"]).split("\n").filter(Boolean))
            try { sh("umount", [f]); } catch { /* not mounted */ }
        } catch { /* no directory */ }
      }
      for (const ns of [...nodes.map((n) => n.ns), under]) try { sh("ip", ["netns", "delete", ns]); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    sh("ip", ["netns", "add", under]);
    sh("ip", ["-n", under, "link", "add", "ubr", "type", "bridge"]);
    sh("ip", ["-n", under, "link", "set", "ubr", "up"]);
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}-${tag}-n${i}`;
      const address = `10.213.${subnet}.${i}`;
      sh("ip", ["netns", "add", ns]);
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      sh("ip", ["link", "add", `${prefix}${tag}u${i}`, "netns", under, "type", "veth", "peer", "name", "under0", "netns", ns]);
      sh("ip", ["-n", under, "link", "set", `${prefix}${tag}u${i}`, "master", "ubr", "up"]);
      sh("ip", ["-n", ns, "addr", "add", `${address}/24`, "dev", "under0"]);
      sh("ip", ["-n", ns, "link", "set", "under0", "up"]);
      const nd = join(dir, `n${i}`);
      nodes.push({ name: `n${i}-${tag}`, ns, address, db: join(nd, "db.sqlite"), runDir: join(nd, "run"), socket: join(nd, "d.sock"), etcd: null!, serve: null, api: null, serveLog: "" });
    }
    const initial = nodes.map((n) => `${n.name}=http://${n.address}:2380`).join(",");
    for (const n of nodes) {
      n.etcd = spawn("nsenter", [`--net=${nsPath(n.ns)}`, "--", etcdBinary,
        "--name", n.name, "--data-dir", join(dir, `etcd-${n.name}`),
        "--listen-client-urls", `http://${n.address}:2379`, "--advertise-client-urls", `http://${n.address}:2379`,
        "--listen-peer-urls", `http://${n.address}:2380`, "--initial-advertise-peer-urls", `http://${n.address}:2380`,
        "--initial-cluster", initial, "--initial-cluster-token", `${prefix}-${tag}`, "--initial-cluster-state", "new",
        "--heartbeat-interval", "50", "--election-timeout", "500"], { stdio: ["ignore", "ignore", "ignore"] });
    }
    // Asked from inside a node's namespace (the underlay is not reachable from here), by Node itself:
    // etcd-server ships no etcdctl.
    await until(() => membersHealthy(nodes[0]!.ns, nodes.map((x) => `http://${x.address}:2379`)), 300, { ms: 60_000, what: `etcd members healthy on ${nodes.map((x) => x.name).join(", ")}` });
    for (const n of nodes) {
      sh("mkdir", ["-p", n.runDir]);
      await startServe(n, nodes, serveArgs);
    }
  } catch (e) {
    await hosts.teardown();
    throw e;
  }
  return hosts;
}

function envOf(n: OverlayNode, nodes: OverlayNode[]): NodeJS.ProcessEnv {
  return {
    NETLEDGER_CLUSTER: nodes.map((x) => `http://${x.address}:2379`).join(","),
    NETLEDGER_NODE: n.name,
    NETLEDGER_RUN_DIR: n.runDir,
  };
}

async function startServe(n: OverlayNode, nodes: OverlayNode[], serveArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  rmSync(n.socket, { force: true });
  n.serveLog = "";
  const child = spawn("nsenter", [`--net=${nsPath(n.ns)}`, "--", process.execPath, cliPath, "--db", n.db, "serve", "--socket", n.socket, "--advertise-addr", n.address, ...serveArgs], {
    env: { ...process.env, NETLEDGER_HOST: "", ...envOf(n, nodes), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (n.serveLog = (n.serveLog + d).slice(-20_000)));
  n.serve = child;
  // etcd may still be electing its first leader: serve retries until its socket answers.
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`serve on ${n.name} exited ${child.exitCode}: ${n.serveLog}`);
      return existsSync(n.socket);
    },
    600,
    { ms: 60_000, what: `serve's socket on ${n.name}` },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; its log: ${n.serveLog.slice(-2000)}`);
  });
  n.api = new HttpApi({ host: `unix://${n.socket}`, actor: "test" });
  await until(async () => (await n.api!.health().then(() => true).catch(() => false)), 300, { ms: 60_000, what: `serve's health on ${n.name}` });
}

/** `program args` inside the namespace at `path` (a sandbox's key). */
export function inSandbox(path: string, program: string, args: string[]): string {
  return execFileSync("nsenter", [`--net=${path}`, "--", program, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The node's forwarding and neighbour entries on a VXLAN device (inside the node's namespace). */
export function vxlanEntries(n: OverlayNode, dev: string): { fdb: string[]; neigh: string[] } {
  const fdb = JSON.parse(sh("ip", ["netns", "exec", n.ns, "bridge", "-j", "fdb", "show", "dev", dev]) || "[]") as { mac: string; dst?: string }[];
  const neigh = JSON.parse(sh("ip", ["-n", n.ns, "-j", "neigh", "show", "dev", dev]) || "[]") as { dst: string; lladdr?: string }[];
  return { fdb: fdb.filter((e) => e.dst).map((e) => `${e.mac}>${e.dst}`).sort(), neigh: neigh.filter((e) => e.lladdr).map((e) => `${e.dst}>${e.lladdr}`).sort() };
}

/** The namespace path of a node (for nsenter, as a sandbox's key is). */
export const nodeNetns = (n: OverlayNode): string => nsPath(n.ns);

/** Loads an nftables script in the namespace at `path`. */
export function nftIn(path: string, script: string): void {
  execFileSync("nsenter", [`--net=${path}`, "--", "nft", "-f", "-"], { input: script, stdio: ["pipe", "pipe", "pipe"] });
}

/** The packets a named nftables counter of an `ip` table counted, in the namespace at `path`. */
export function counted(path: string, table: string, counter: string): number {
  const out = JSON.parse(inSandbox(path, "nft", ["-j", "list", "counter", "ip", table, counter])) as { nftables: { counter?: { packets: number } }[] };
  const c = out.nftables.find((x) => x.counter)?.counter;
  if (!c) throw new Error(`no counter ${counter} in table ip ${table} of ${path}`);
  return c.packets;
}
