import { createHash } from "node:crypto";
import { canonicalPieces } from "../domain/canonical.js";
import type { ClusterState } from "../domain/cluster/state.js";
import { corrupt, NetledgerError } from "../domain/errors.js";
import { stateHash } from "../store/stateHash.js";
import type { ClusterConnection } from "./connection.js";
import { type Head, seqKey } from "./records.js";

/**
 * Snapshots of the global part in etcd, so a new node does not read the whole cluster log. The state
 * at a seq is the same on every node, so two nodes writing the snapshot of one seq write the same bytes.
 *
 * A state of thousands of endpoints is megabytes of JSON: more than etcd takes in one request (1.5 MiB
 * by default) and more than the client takes in one answer (4 MiB). So it is stored in parts,
 * `snapshots/part/<seq>/<i>`, each a slice of the state's canonical JSON, then `snapshots/meta/<seq>`
 * = {seq, hash (the chain hash at seq), stateHash, parts}, written last: a snapshot without its meta
 * was never finished and is never read. A reader takes the latest meta, joins its parts, checks the
 * state hash and that the log's record at seq carries the chain hash, and folds the log after it.
 * The last two are kept.
 */
export const snapshotPrefix = "snapshots/";
const metaPrefix = `${snapshotPrefix}meta/`;
const partsPrefix = `${snapshotPrefix}part/`;
const keep = 2;
/** Characters per part: at most three bytes each in UTF-8, so a part's put stays under 1.5 MiB. */
const partChars = 256 * 1024;

interface SnapshotMeta {
  seq: number;
  hash: string;
  stateHash: string;
  parts: number;
  /** The etcd revision that wrote the record at seq. */
  revision?: string;
}

const seq12 = (seq: number) => String(seq).padStart(12, "0");
const partKey = (seq: number, i: number) => `${partsPrefix}${seq12(seq)}/${String(i).padStart(6, "0")}`;
/** A key as the client lists it (with the connection's namespace prefix) back to one of ours. */
const ours = (k: string) => k.slice(k.indexOf(snapshotPrefix));

/**
 * Writes the snapshot of `s` at `head`. It is serialised a part at a time, the thread given back at
 * each part's put: done in one go it held a node's event loop for tens of milliseconds, which every
 * command waiting on that node felt.
 */
export async function writeSnapshot(conn: ClusterConnection, s: ClusterState, head: Head, revision: string, o: { partChars?: number } = {}): Promise<void> {
  const max = o.partChars ?? partChars;
  const hash = createHash("sha256");
  let parts = 0;
  let text = "";
  const put = async () => {
    hash.update(text);
    const [key, value] = [partKey(head.seq, parts++), text];
    text = "";
    await conn.call("write a snapshot part", (opts) => conn.kv.put(key).value(value).options(opts).exec());
  };
  // Depth 6 opens the state, its collections' three trie levels and their leaves: one entity at a time.
  for (const piece of canonicalPieces(s, 6)) {
    text += piece;
    if (text.length >= max) await put();
  }
  if (text.length > 0) await put();
  const meta: SnapshotMeta = { seq: head.seq, hash: head.hash, stateHash: hash.digest("hex"), parts, revision };
  await conn.call("write a snapshot", (opts) => conn.kv.put(`${metaPrefix}${seq12(head.seq)}`).value(JSON.stringify(meta)).options(opts).exec());
  await prune(conn);
}

/**
 * Keeps the last `keep` snapshots: an older meta goes first, then its parts (and any left by a write
 * that never finished). The log's records before the oldest kept snapshot go too: the log in etcd would
 * otherwise grow by a record per event for good. Then etcd's revision history is compacted up to the
 * oldest kept snapshot's record: etcd keeps every revision of every key until compacted (each
 * forwarded command writes and deletes two keys), and a database past its quota (2 GiB by default)
 * refuses every write until an operator compacts and defragments it. A watch that must resume from
 * before that revision is made again by its node (lastingWatch.ts).
 */
async function prune(conn: ClusterConnection): Promise<void> {
  const metas = Object.entries(await conn.call("list snapshots", (opts) => conn.kv.getAll().prefix(metaPrefix).options(opts).strings()))
    .map(([k, v]) => [ours(k), JSON.parse(v) as SnapshotMeta] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  // Snapshots as they were stored before they had parts (`snapshots/<seq>`, one key each) are not read any more.
  await conn.call("prune a snapshot", (opts) => conn.kv.delete().prefix(`${snapshotPrefix}0`).options(opts).exec());
  const kept = metas.slice(-keep);
  for (const [k] of metas.slice(0, Math.max(0, metas.length - keep)))
    await conn.call("prune a snapshot", (opts) => conn.kv.delete().key(k).options(opts).exec());
  const oldest = kept[0];
  if (oldest === undefined || kept.length < keep) return;
  const oldestSeq = oldest[0].slice(metaPrefix.length);
  const partKeys = (await conn.call("list snapshot parts", (opts) => conn.kv.getAll().prefix(partsPrefix).options(opts).keys())).map(ours);
  const staleSeqs = new Set(partKeys.map((k) => k.slice(partsPrefix.length, partsPrefix.length + 12)).filter((s) => s < oldestSeq));
  for (const s of staleSeqs) await conn.call("prune a snapshot", (opts) => conn.kv.delete().prefix(`${partsPrefix}${s}/`).options(opts).exec());
  // The log's records before the oldest kept snapshot's: a node that lacks them starts again from a
  // snapshot (ClusterLog's rebase). The record at its seq stays: a reader checks the snapshot's hash against it.
  await conn.call("trim the log", (opts) => conn.kv.delete().inRange({ start: seqKey(1), end: seqKey(oldest[1].seq) }).options(opts).exec());
  const revision = oldest[1].revision;
  if (revision === undefined) return;
  // One try, not conn.call's retries: compacted further already (by etcd's own retention, or another
  // node) is a final answer; another failure is told, and tried again at the next snapshot.
  await conn.client.kv.compact({ revision }, conn.deadline()).catch((e: unknown) => {
    const m = e instanceof Error ? e.message : String(e);
    if (!m.includes("required revision has been compacted")) throw new NetledgerError("ClusterUnavailable", `etcd's history was not compacted up to revision ${revision}: ${m}`);
  });
}

/** The latest snapshot, checked; null when there is none. */
export async function latestSnapshot(conn: ClusterConnection): Promise<{ state: ClusterState; head: Head } | null> {
  // Its parts may be pruned while they are read (two newer snapshots written meanwhile): read the latest again.
  for (let attempt = 0; ; attempt++) {
    const res = await conn.call("read the latest snapshot", (opts) => conn.kv.getAll().prefix(metaPrefix).sort("Key", "Descend").limit(1).options(opts).strings());
    const text = Object.values(res)[0];
    if (text === undefined) return null;
    const meta = JSON.parse(text) as SnapshotMeta;
    const parts: string[] = [];
    for (let i = 0; i < meta.parts; i++) {
      const part = await conn.call("read a snapshot part", (opts) => conn.kv.get(partKey(meta.seq, i)).options(opts).string());
      if (part === null) break;
      parts.push(part);
    }
    if (parts.length < meta.parts) {
      if (attempt < 2) continue;
      throw corrupt(`cluster snapshot at seq ${meta.seq}: part ${parts.length} of ${meta.parts} is missing`);
    }
    const state = parts.join("");
    if (stateHash(state) !== meta.stateHash) throw corrupt(`cluster snapshot at seq ${meta.seq}: its state does not match its state hash`);
    const record = await conn.call("read a snapshot's record", (opts) => conn.kv.get(seqKey(meta.seq)).options(opts).string());
    // Gone: trimmed after two newer snapshots were written while this one was read.
    if (record === null && attempt < 2) continue;
    if (record === null || (JSON.parse(record) as { hash?: string }).hash !== meta.hash)
      throw corrupt(`cluster snapshot at seq ${meta.seq}: the log's record there does not carry its chain hash`);
    return { state: JSON.parse(state) as ClusterState, head: { seq: meta.seq, hash: meta.hash } };
  }
}
