import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Etcd3 } from "etcd3";
import { ClusterLog } from "../src/cluster/clusterLog.js";
import { ClusterConnection } from "../src/cluster/connection.js";
import { ClusterNode } from "../src/cluster/node.js";
import { logEnd, seqKey } from "../src/cluster/records.js";
import { Controller } from "../src/controller/controller.js";
import { nullDriver } from "../src/drivers/null/index.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../test/helpers/etcdCluster.js";
import { type Benchmark, benchDir, type BenchResult, paired, progress, result, skipped } from "./harness.js";

/**
 * Global scope on a three-member etcd cluster on loopback (issue 17): a global endpoint create beside a
 * raw etcd put (the floor: one consensus round); three nodes creating flat out together; the rate at
 * which a node folds the cluster log, beside a raw range read of the same keys.
 */
const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

interface BenchNode {
  controller: Controller;
  node: ClusterNode;
}

/** The caller's node, in this thread. */
async function nodeHere(cluster: EtcdCluster, prefix: string): Promise<BenchNode> {
  const dir = benchDir("nlx-bench-");
  const controller = await Controller.open({ db: join(dir, "n0.db"), runDir: join(dir, "run0"), plugins: false });
  // A global-scope driver with nothing to call: the figure is the cluster's and the log's, not a plugin's.
  controller.registerDriver("gnull", nullDriver, { dataScope: "global", sideEffects: false, usesIpam: true });
  const node = await ClusterNode.start(controller, { endpoints: cluster.endpoints, node: "b0", advertiseAddr: "127.0.0.1", timeoutMs: 5000, prefix, ttlMs: 15_000, reclaimAfterMs: 60_000 });
  return { controller, node };
}

async function closeNode(n: BenchNode): Promise<void> {
  await n.node.close({ revoke: true });
  await n.controller.close();
}

/**
 * Nodes each in a worker thread (bench/clusterNodeWorker.ts): each has its own event loop and SQLite
 * file, as on hosts of its own, so one node's folds of the others' appends do not queue on another's loop.
 */
class WorkerNodes {
  readonly workers: Worker[];
  constructor(cluster: EtcdCluster, prefix: string, names: string[], forward: boolean) {
    const dir = benchDir("nlx-bench-");
    this.workers = names.map(
      (name, i) =>
        // A worker does not inherit tsx's loader: it registers it, then imports the TypeScript module.
        new Worker(`import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(new URL("./clusterNodeWorker.ts", import.meta.url).href)}); });`, {
          eval: true,
          workerData: { endpoints: cluster.endpoints, prefix, name, dir, address: `127.0.0.${i + 2}`, forward },
        }),
    );
  }
  next(w: Worker, type: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (m["type"] !== type) return;
        w.off("message", on);
        resolve(m);
      };
      w.on("message", on);
      w.once("error", reject);
    });
  }
  ready(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => this.next(w, "ready")));
  }
  async close(): Promise<void> {
    try {
      await Promise.all(
        this.workers.map((w) => {
          const c = this.next(w, "closed");
          w.postMessage({ type: "close" });
          return c;
        }),
      );
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }
}

/** Three nodes, each in a worker thread, creating endpoints on `net` flat out for `ms`. */
async function flatOut(cluster: EtcdCluster, prefix: string, net: string, callers: number, ms: number, forward = true) {
  const nodes = new WorkerNodes(cluster, prefix, ["w0", "w1", "w2"], forward);
  try {
    await nodes.ready();
    const done = await Promise.all(
      nodes.workers.map((w) => {
        const d = nodes.next(w, "done");
        w.postMessage({ type: "run", network: net, callers, ms, warmMs: 1000 });
        return d;
      }),
    );
    return {
      lat: done.flatMap((d) => d["lat"] as number[]),
      errors: done.reduce((a, d) => a + (d["errors"] as number), 0),
      conflicts: done.reduce((a, d) => a + (d["conflicts"] as number), 0),
      forwarded: done.reduce((a, d) => a + (d["forwarded"] as number), 0),
      fellBack: done.reduce((a, d) => a + (d["fellBack"] as number), 0),
    };
  } finally {
    await nodes.close();
  }
}

const all: Benchmark = async () => {
  const label = "global scope on a three-member etcd cluster";
  if (!haveEtcd)
    return [skipped({ name: "cluster1", label, unit: "ms", floorName: "raw etcd put (ms)", target: "<= 2x" }, "/usr/bin/etcd is not installed")];
  const cluster = await startEtcdCluster();
  const results: BenchResult[] = [];
  try {
    const raw = new Etcd3({ hosts: cluster.endpoints });
    const prefix = `/nlx-bench-${randomBytes(4).toString("hex")}/`;
    // The caller's node first, so it is the elected appender; the two others in threads of their own.
    const here = await nodeHere(cluster, prefix);
    const net = (await here.controller.run({ type: "network.create", driver: "gnull", name: "bench", ipam: { config: [{ subnet: "10.128.0.0/12" }], options: {} } })).entity!.id;

    // 1. One caller: median latency of a global endpoint create vs a raw put.
    let k = 0;
    const perOp = async (n: number, op: () => Promise<unknown>) => {
      const ts: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await op();
        ts.push(performance.now() - t0);
      }
      return p(ts, 0.5);
    };
    const oneCaller = () =>
      paired(
        5,
        () => perOp(40, () => raw.put(`${prefix}floor/${k++}`).value("x").exec()),
        () => perOp(40, () => here.controller.run({ type: "endpoint.create", network: net, name: `one-${k++}` })),
      );
    // First with two more nodes folding every create in threads of this process, on the same two cores;
    // then with the caller's node the only node on this machine, as when each node has a host of its own.
    const others = new WorkerNodes(cluster, prefix, ["b1", "b2"], true);
    await others.ready();
    progress(`cluster: one caller, two more nodes here (its node ${here.node.forwarding.leader === "b0" ? "the" : "not the"} elected appender)`);
    const one = await oneCaller();
    await others.close();
    progress("cluster: one caller, its node alone on this machine");
    const alone = await oneCaller();
    results.push(
      result({ name: "cluster1", label: "global endpoint create, one caller, two more nodes on this machine, median", value: one.value, unit: "ms", floor: one.floor, floorName: "raw etcd put (ms)", target: "<= 2x the floor", met: one.ratio <= 2 }),
      result({ name: "cluster1a", label: "global endpoint create, one caller, its node alone on this machine, median", value: alone.value, unit: "ms", floor: alone.floor, floorName: "raw etcd put (ms)", target: "<= 2x the floor", met: alone.ratio <= 2 }),
    );

    // 2. Three nodes flat out, `perNode` callers each, for 5 s: total rate and p99. Each node runs in a
    // thread of its own (its own event loop and SQLite file, as on three hosts).
    const perNode = Number(process.env["NLX_BENCH_CALLERS"] ?? 8);
    await closeNode(here);
    // Through the elected appender (the default), then each node appending for itself, for comparison.
    const runs: { name: string; how: string; lat: number[] }[] = [];
    for (const forward of [true, false]) {
      progress(`cluster: three nodes flat out, ${forward ? "through the elected appender" : "each appending for itself"}`);
      const flat = await flatOut(cluster, prefix, net, perNode, 5000, forward);
      const lat = flat.lat;
      progress(`cluster: ${lat.length} endpoints, ${flat.conflicts} conflicts, ${flat.forwarded} forwarded to the appender (${flat.fellBack} taken back), ${flat.errors} errors, p50 ${p(lat, 0.5).toFixed(1)} ms`);
      runs.push({ name: forward ? "cluster2" : "cluster2d", how: forward ? "through the elected appender" : "each node appending for itself", lat });
    }
    const rawRate = await (async () => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 3 * perNode }, async (_, c) => {
        for (let j = 0; j < 10; j++) await raw.put(`${prefix}floor/r-${c}-${j}`).value("x");
      }));
      return (30 * perNode) / ((performance.now() - t0) / 1000);
    })();
    for (const r of runs) {
      const rate = r.lat.length / 5;
      const p99 = p(r.lat, 0.99);
      results.push(
        result({ name: r.name, label: `three nodes creating flat out (${3 * perNode} callers), ${r.how}: endpoints/s (p99 ${p99.toFixed(1)} ms)`, value: rate, unit: "/s", floor: rawRate, floorName: `raw puts/s, ${3 * perNode} callers`, target: ">= 200/s, p99 <= 100 ms", met: rate >= 200 && p99 <= 100 }),
      );
    }

    // 3. Fold rate: a fresh node reads and verifies a whole log; the floor is a raw read of the same keys.
    // A log of its own with no snapshot (so none of it trimmed): 5,000 endpoint creates, batched.
    progress("cluster: fold rate");
    const foldPrefix = `${prefix}fold/`;
    const writer = new ClusterLog(new ClusterConnection({ endpoints: cluster.endpoints, node: "w", advertiseAddr: "127.0.0.1", timeoutMs: 30_000, prefix: foldPrefix }), Number.MAX_SAFE_INTEGER);
    await writer.open();
    await writer.submit({ type: "global.node.join", name: "w", address: "127.0.0.1" });
    const foldNet = randomBytes(32).toString("hex");
    await writer.submit({ type: "global.network.create", id: foldNet, name: "fold", driver: "gnull", labels: {}, subnet: "10.64.0.0/16" });
    for (let wave = 0; wave < 10; wave++)
      await Promise.all(Array.from({ length: 500 }, (_, i) => writer.submit({ type: "global.endpoint.create", id: randomBytes(32).toString("hex"), name: `f${wave}-${i}`, network: foldNet, node: "w" })));
    await writer.close();
    writer.conn.close();
    const fresh = async () => {
      const log = new ClusterLog(new ClusterConnection({ endpoints: cluster.endpoints, node: "fold", advertiseAddr: "127.0.0.1", timeoutMs: 30_000, prefix: foldPrefix }));
      const t0 = performance.now();
      await log.catchUp();
      const ms = performance.now() - t0;
      const n = log.headSeen.seq;
      log.conn.close();
      return n / (ms / 1000);
    };
    // Paged as the node reads (500 keys a page): one range of the whole log passes gRPC's 4 MB limit.
    const rawRead = async () => {
      const kv = raw.namespace(foldPrefix);
      const t0 = performance.now();
      let n = 0;
      for (let from = 1; ; from += 500) {
        const page = await kv.getAll().inRange({ start: seqKey(from), end: logEnd }).limit(500).strings();
        const got = Object.keys(page).length;
        n += got;
        if (got < 500) break;
      }
      return n / ((performance.now() - t0) / 1000);
    };
    const fold = await paired(3, rawRead, fresh);
    results.push(result({ name: "cluster3", label: "a new node folding a cluster log of 5,000 events (verified), events/s", value: fold.value, unit: "/s", floor: fold.floor, floorName: "raw range read, keys/s", target: "(reported)", met: null }));
    raw.close();
  } finally {
    await cluster.stop();
  }
  return results;
};

export const benchmarks: Benchmark[] = [all];
