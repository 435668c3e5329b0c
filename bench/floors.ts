import { execFile, execFileSync } from "node:child_process";
import { closeSync, fsyncSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { Agent, createServer } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { benchDir, isRoot, msPerOp, msPerOpSync } from "./harness.js";
import { rawPost } from "./rawHttp.js";

/**
 * The floors: the plain operations a figure is compared with, measured in the same run on the same
 * disk and cores. Each is measured once per run (memoised) and is the best mean of a few rounds.
 */
const memo = new Map<string, Promise<number>>();
function once(name: string, measure: () => number | Promise<number>): Promise<number> {
  let p = memo.get(name);
  if (!p) memo.set(name, (p = Promise.resolve().then(measure)));
  return p;
}

/** A database as netledger opens one: WAL, synchronous=FULL. */
function walFull(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)");
  return db;
}

/** ms: write 100 bytes and fsync them. */
export const fsyncMs = () =>
  once("fsync", () => {
    const fd = openSync(join(benchDir(), "fsync"), "w");
    const buf = Buffer.alloc(100, 1);
    try {
      return msPerOpSync(500, () => {
        writeSync(fd, buf);
        fsyncSync(fd);
      });
    } finally {
      closeSync(fd);
    }
  });

/**
 * ms: one durable SQLite commit (WAL, synchronous=FULL) of one row of event-sized data. Measured
 * afresh on each call, because the disk's fsync time drifts (other work on the machine): a benchmark
 * measures it just before and just after its figure and takes the better.
 */
export function commitMs(n = 100, rounds = 1): number {
  const db = walFull(join(benchDir(), "commit.db"));
  const ins = db.prepare("INSERT INTO t (data) VALUES (?)");
  const data = "x".repeat(300);
  try {
    return msPerOpSync(n, () => ins.run(data), rounds);
  } finally {
    db.close();
  }
}

/** ms: one durable commit of 100 such rows. */
export const commit100Ms = () =>
  once("commit100", () => {
    const db = walFull(join(benchDir(), "commit100.db"));
    const ins = db.prepare("INSERT INTO t (data) VALUES (?)");
    const data = "x".repeat(300);
    const tx = db.transaction(() => {
      for (let i = 0; i < 100; i++) ins.run(data);
    });
    try {
      return msPerOpSync(200, () => tx.immediate());
    } finally {
      db.close();
    }
  });

/** ms: one HTTP POST round trip with a small JSON body on a UNIX socket, connection kept alive. */
export async function postRoundTripMs(socketPath: string, n = 500): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ NetworkID: "n".repeat(64), EndpointID: "e".repeat(64) });
  const post = () => rawPost(socketPath, agent, "/NetworkDriver.Leave", body);
  try {
    return await msPerOp(n, post);
  } finally {
    agent.destroy();
  }
}

/** The same against a server in this process (no second process to schedule). */
export const httpRoundTripMs = () =>
  once("http", async () => {
    const socketPath = join(benchDir(), "rt.sock");
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      return await postRoundTripMs(socketPath);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

const execFileAsync = promisify(execFile);

/** ms: spawn a process that does nothing (/bin/true) and wait for it. */
export const spawnMs = () => once("spawn", () => msPerOp(50, () => execFileAsync("true")));

/** ms: run `ip link show lo` (a spawn plus a netlink dump of one link). */
export const ipCommandMs = () => once("ip", () => msPerOp(30, () => execFileAsync("ip", ["-j", "link", "show", "lo"])));

/** ms: `ip netns add` of a new namespace (root only), each deleted again outside the timing. */
export const netnsAddMs = () =>
  once("netns", async () => {
    if (!isRoot) return NaN;
    const names: string[] = [];
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) {
        const name = `nlbench-${process.pid}-${round}-${i}`;
        names.push(name);
        await execFileAsync("ip", ["netns", "add", name]);
      }
      best = Math.min(best, (performance.now() - t0) / 10);
      while (names.length) execFileSync("ip", ["netns", "delete", names.pop()!]);
    }
    return best;
  });

/** ms: create a veth pair, move one end into a namespace, delete the pair (root only): a bridge cycle's kernel work. */
export const vethCycleMs = () =>
  once("veth", async () => {
    if (!isRoot) return NaN;
    const ns = `nlbench-veth-${process.pid}`;
    execFileSync("ip", ["netns", "add", ns]);
    try {
      return await msPerOp(10, async (i) => {
        const a = `nlbv${process.pid % 10000}a${i}`;
        const b = `nlbv${process.pid % 10000}b${i}`;
        await execFileAsync("ip", ["link", "add", a, "type", "veth", "peer", "name", b]);
        await execFileAsync("ip", ["link", "set", b, "netns", ns]);
        await execFileAsync("ip", ["link", "delete", a]);
      }, 2);
    } finally {
      execFileSync("ip", ["netns", "delete", ns]);
    }
  });

/**
 * The kernel work of the drivers issued raw, the fastest way this project knows (root only): rtnetlink
 * from this process (a delete from the worker thread once it runs, as the drivers do:
 * src/drivers/kernel/unlink.ts), and through a socket opened inside the namespace for addresses and
 * routes (src/drivers/kernel/namespaceLinks.ts), no log. Each returns ms per operation over `n`, not memoised (measured beside its figure).
 */
export interface RawKernelRig {
  /** A namespace bound at this path. */
  ns: string;
  close(): void;
}

export function rawNamespace(name: string): RawKernelRig {
  execFileSync("ip", ["netns", "add", name]);
  return { ns: `/run/netns/${name}`, close: () => execFileSync("ip", ["netns", "delete", name]) };
}

/**
 * ms: namespaces made (unshare(2), bound to a file, loopback set up from a socket inside) then, timed
 * apart, unbound and their files removed: `n` of each, the way the sandbox driver does it, without the
 * log. Answers both.
 */
export async function netnsAddDeleteMs(n: number, tag: string): Promise<{ add: number; del: number }> {
  const { loopbackUp } = await import("../src/drivers/kernel/namespaceLinks.js");
  const { unbindNamespace } = await import("../src/drivers/kernel/setns.js");
  const paths = Array.from({ length: n }, (_, i) => join(benchDir(), `nlbench-ns-${tag}-${i}`));
  let t0 = performance.now();
  for (const path of paths) {
    writeFileSync(path, "");
    await loopbackUp(path, true);
  }
  const add = (performance.now() - t0) / n;
  t0 = performance.now();
  for (const path of paths) {
    unbindNamespace(path);
    rmSync(path);
  }
  return { add, del: (performance.now() - t0) / n };
}

/** ms: a bridge endpoint's kernel work: veth pair with its peer made in the namespace, a port of the bridge, addressed and routed inside, deleted. */
export async function rawBridgeCycleMs(rig: RawKernelRig, bridge: string, n: number): Promise<number> {
  const k = await import("../src/drivers/kernel/rtnetlink.js");
  const { configureInside } = await import("../src/drivers/kernel/namespaceLinks.js");
  const br = (await k.getLink(bridge))!;
  const host = `nlbv${process.pid % 100000}`;
  return msPerOp(n, async () => {
    await k.addVeth({ name: host, master: br.index, peer: "eth0", peerNetns: rig.ns });
    const l = (await k.getLink(host))!;
    await k.setLink(l.index, { alias: "netledger-bench", master: br.index, up: true });
    await configureInside(rig.ns, { name: "eth0", alias: "netledger-bench", addresses: ["10.213.78.2/24"], routes: [{ destination: "default", nextHop: "10.213.78.1" }] });
    await k.deleteLink(l.index);
  }, 1);
}

/** ms: a plugin's veth moved into the namespace renamed eth0, addressed inside, then moved back out. */
export async function rawMoveCycleMs(rig: RawKernelRig, link: string, n: number): Promise<number> {
  const k = await import("../src/drivers/kernel/rtnetlink.js");
  const { configureInside, moveOut } = await import("../src/drivers/kernel/namespaceLinks.js");
  return msPerOp(n, async () => {
    const l = (await k.getLink(link))!;
    await k.setLink(l.index, { alias: "netledger-bench", netns: rig.ns, name: "eth0" });
    await configureInside(rig.ns, { name: "eth0", addresses: ["10.213.79.2/24"] });
    await moveOut(rig.ns, "eth0", link);
  }, 1);
}
