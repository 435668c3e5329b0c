import type { ClusterState } from "../domain/cluster/state.js";
import { ClusterLog } from "./clusterLog.js";
import { ClusterConnection, type ClusterOptions } from "./connection.js";
import { Membership, type NodeView } from "./membership.js";

export interface MemberStatus {
  name: string;
  endpoint: string;
  healthy: boolean;
}

/** `netledger cluster status --json` (docs/interface.md). */
export interface ClusterStatus {
  members: MemberStatus[];
  node: string;
  head: { seq: number; hash: string };
  /** The seq this process has folded and verified (its copy of the global part). */
  cursor: number;
  /** The state hash of the global part at the cursor: equal on every node at one seq. */
  stateHash: string;
}

async function healthy(url: string, ms: number): Promise<boolean> {
  try {
    const r = await fetch(`${url.replace(/\/$/, "")}/health`, { signal: AbortSignal.timeout(ms) });
    return ((await r.json()) as { health?: string }).health === "true";
  } catch {
    return false;
  }
}

/** Each member as etcd lists it (or as --cluster names them, without a quorum), with its /health answer. */
async function members(conn: ClusterConnection): Promise<MemberStatus[]> {
  const listed = await conn
    .call("list the members", (opts) => conn.client.cluster.memberList({}, opts))
    .then((r) => r.members.map((m) => ({ name: m.name, endpoint: m.clientURLs[0] ?? "" })))
    .catch(() => conn.o.endpoints.map((endpoint) => ({ name: "", endpoint })));
  return Promise.all(listed.map(async (m) => ({ ...m, healthy: await healthy(m.endpoint, Math.min(conn.o.timeoutMs, 2000)) })));
}

/** Reads the cluster log to its head (verifying every record) and reports; the connection is closed after. */
export async function readCluster<T>(o: ClusterOptions, f: (log: ClusterLog, s: ClusterState) => Promise<T>): Promise<T> {
  const log = new ClusterLog(new ClusterConnection(o));
  try {
    await log.catchUp();
    return await f(log, log.current);
  } finally {
    log.conn.close();
  }
}

export function clusterStatus(o: ClusterOptions): Promise<ClusterStatus> {
  return readCluster(o, (log) => statusOf(log));
}

/** The status as `log` has folded it: a running node's own (the daemon's REST route), or a fresh read's. */
export async function statusOf(log: ClusterLog): Promise<ClusterStatus> {
  return { members: await members(log.conn), node: log.conn.o.node, head: log.headSeen, cursor: log.headSeen.seq, stateHash: log.stateHash() };
}

export function nodeList(o: ClusterOptions): Promise<NodeView[]> {
  return readCluster(o, async (log) => {
    // Notes which leases are held now, as last seen; reclaims nothing (an absence never lasts long enough).
    const m = new Membership(log, { ttlMs: 0, reclaimAfterMs: Number.MAX_SAFE_INTEGER });
    await m.check();
    return m.view();
  });
}

export function removeNode(o: ClusterOptions, name: string): Promise<void> {
  return readCluster(o, (log) => new Membership(log, { ttlMs: 0, reclaimAfterMs: Number.MAX_SAFE_INTEGER }).remove(name));
}
