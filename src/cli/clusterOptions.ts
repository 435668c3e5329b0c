import { hostname, networkInterfaces } from "node:os";
import type { Command } from "commander";
import type { ClusterSettings } from "../api/cluster.js";
import { clusterDefaults } from "../api/clusterDefaults.js";
import type { OpenOptions } from "../controller/controller.js";
import { invalid } from "../domain/errors.js";
import { durationMs } from "./parse.js";

/** The global options of a cluster (docs/interface.md): --cluster, --node, --advertise-addr. */
export interface ClusterGlobals {
  cluster?: string;
  node?: string;
  advertiseAddr?: string;
}

/** `serve`'s options of a node: durations as --plugin-timeout takes them. */
export interface NodeTimings {
  nodeTtl?: string;
  reclaimAfter?: string;
  clusterTimeout?: string;
}

/** Adds the three global options to the program. */
export function addClusterGlobals(program: Command): Command {
  return program
    .option("--cluster <urls>", "the etcd members of the cluster, comma-separated client URLs (env NETLEDGER_CLUSTER): global-scope networks live there")
    .option("--node <name>", "this node's name in the cluster (env NETLEDGER_NODE; default the host name)")
    .option("--advertise-addr <ip>", "the address other nodes reach this one at (default the first non-loopback IPv4 address)");
}

/** Adds `serve`'s node options (also read by any writer with --cluster). */
export function addNodeTimings(cmd: Command): Command {
  return cmd
    .option("--node-ttl <duration>", "the lease a running node holds in the cluster, e.g. 15s (default 15s)")
    .option("--reclaim-after <duration>", "how long a node's lease must be gone, with the cluster answering, before it is lost and its endpoints reclaimed (default 60s)")
    .option("--cluster-timeout <duration>", "how long a global-scope command waits for the cluster before ClusterUnavailable (default 5s)");
}

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return "127.0.0.1";
}

/** The cluster settings the options and the environment give, or undefined when no cluster is named. */
export function clusterSettings(g: ClusterGlobals, env: NodeJS.ProcessEnv, t: NodeTimings = {}): ClusterSettings | undefined {
  const urls = g.cluster ?? env["NETLEDGER_CLUSTER"];
  if (urls === undefined || urls.trim() === "") return undefined;
  const endpoints = urls.split(",").map((u) => u.trim()).filter((u) => u !== "");
  const node = g.node || env["NETLEDGER_NODE"] || hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(node)) throw invalid(`--node "${node}": a node name is letters, digits, '_', '.' and '-', at most 63`);
  const settings: ClusterSettings = {
    endpoints,
    node,
    advertiseAddr: g.advertiseAddr || firstAddress(),
    timeoutMs: t.clusterTimeout ? durationMs("--cluster-timeout", t.clusterTimeout) : clusterDefaults.timeoutMs,
    ttlMs: t.nodeTtl ? durationMs("--node-ttl", t.nodeTtl) : clusterDefaults.ttlMs,
    reclaimAfterMs: t.reclaimAfter ? durationMs("--reclaim-after", t.reclaimAfter) : clusterDefaults.reclaimAfterMs,
  };
  if (settings.ttlMs < 1000) throw invalid(`--node-ttl ${t.nodeTtl}: an etcd lease lasts at least 1s`);
  return settings;
}

/** What a writer's open options gain from a cluster: it becomes a node of it. */
export function clusterOpenOptions(s: ClusterSettings | undefined): Partial<OpenOptions> {
  // The etcd client is loaded only by a command that joins a cluster.
  return s ? { attachCluster: async (c) => (await import("../api/cluster.js")).clusterAttacher(s)(c) } : {};
}

/** The settings, or a clear refusal for a command that needs a cluster. */
export function requireCluster(g: ClusterGlobals, env: NodeJS.ProcessEnv, t: NodeTimings = {}): ClusterSettings {
  const s = clusterSettings(g, env, t);
  if (!s) throw invalid("no cluster named: give --cluster URLS (comma-separated etcd client URLs) or set NETLEDGER_CLUSTER");
  return s;
}
