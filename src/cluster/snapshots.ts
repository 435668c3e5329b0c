import { canonicalJson } from "../domain/canonical.js";
import type { ClusterState } from "../domain/cluster/state.js";
import { corrupt } from "../domain/errors.js";
import { stateHash } from "../store/stateHash.js";
import type { ClusterConnection } from "./connection.js";
import { type Head, seqKey } from "./records.js";

/**
 * Snapshots of the global part in etcd, so a new node does not read the whole cluster log:
 * `snapshots/<seq, 12 digits>` holds {seq, hash (the chain hash at seq), state (canonical JSON),
 * stateHash}. The state at a seq is the same on every node, so two nodes writing the snapshot of one
 * seq write the same bytes. A reader takes the latest, checks its state hash and that the log's record
 * at its seq carries its chain hash, and folds the log after it; the last two are kept.
 */
export const snapshotPrefix = "snapshots/";
const keep = 2;

interface StoredSnapshot {
  seq: number;
  hash: string;
  state: string;
  stateHash: string;
}

export async function writeSnapshot(conn: ClusterConnection, s: ClusterState, head: Head): Promise<void> {
  const state = canonicalJson(s);
  const value: StoredSnapshot = { seq: head.seq, hash: head.hash, state, stateHash: stateHash(state) };
  const key = `${snapshotPrefix}${String(head.seq).padStart(12, "0")}`;
  await conn.call("write a snapshot", (opts) => conn.kv.put(key).value(JSON.stringify(value)).options(opts).exec());
  const old = await conn.call("list snapshots", (opts) => conn.kv.getAll().prefix(snapshotPrefix).options(opts).keys());
  const stale = old.sort().slice(0, Math.max(0, old.length - keep));
  for (const k of stale) await conn.call("prune a snapshot", (opts) => conn.kv.delete().key(k.slice(k.indexOf(snapshotPrefix))).options(opts).exec());
}

/** The latest snapshot, checked; null when there is none. */
export async function latestSnapshot(conn: ClusterConnection): Promise<{ state: ClusterState; head: Head } | null> {
  const res = await conn.call("read the latest snapshot", (opts) =>
    conn.kv.getAll().prefix(snapshotPrefix).sort("Key", "Descend").limit(1).options(opts).strings(),
  );
  const text = Object.values(res)[0];
  if (text === undefined) return null;
  const snap = JSON.parse(text) as StoredSnapshot;
  if (stateHash(snap.state) !== snap.stateHash) throw corrupt(`cluster snapshot at seq ${snap.seq}: its state does not match its state hash`);
  const record = await conn.call("read a snapshot's record", (opts) => conn.kv.get(seqKey(snap.seq)).options(opts).string());
  if (record === null || (JSON.parse(record) as { hash?: string }).hash !== snap.hash)
    throw corrupt(`cluster snapshot at seq ${snap.seq}: the log's record there does not carry its chain hash`);
  return { state: JSON.parse(snap.state) as ClusterState, head: { seq: snap.seq, hash: snap.hash } };
}
