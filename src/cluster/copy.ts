import { canonicalJson } from "../domain/canonical.js";
import type { ClusterEvent } from "../domain/cluster/events.js";
import { type ClusterState, emptyClusterState, foldCluster } from "../domain/cluster/state.js";
import type { ClusterCopy, ClusterCopyRow } from "../store/clusterCopy.js";
import { genesisHash } from "../store/hashChain.js";
import { type Head, openRecord } from "./records.js";

/**
 * The node's verified copy of the cluster log in its SQLite file (src/store/clusterCopy.ts): read back
 * and checked record by record at start, so the node folds on from where it was; appended after each
 * fold, once per turn of the event loop (one commit for what several folds brought).
 */
export function readCopy(copy: ClusterCopy): { state: ClusterState; head: Head } {
  const base = copy.base();
  let state = base ? (JSON.parse(base.state) as ClusterState) : emptyClusterState();
  let prev = base?.hash ?? genesisHash;
  let head: Head = { seq: base?.seq ?? 0, hash: prev };
  const batch: { event: ClusterEvent; seq: number }[] = [];
  for (const r of copy.rows()) {
    const e = openRecord(JSON.stringify(r), head.seq + 1, prev);
    batch.push({ event: e, seq: e.seq });
    prev = e.hash;
    head = { seq: e.seq, hash: e.hash };
    if (batch.length >= 1000) state = foldCluster(state, batch.splice(0));
  }
  state = foldCluster(state, batch);
  return { state, head };
}

export const rowOf = (e: ClusterEvent): ClusterCopyRow => ({
  seq: e.seq,
  id: e.id,
  stream: e.stream,
  type: e.type,
  version: 1,
  data: canonicalJson(e.data),
  meta: canonicalJson(e.meta),
  hash: e.hash,
});

/** How long folded records wait for others to share their commit; a cache of etcd, re-read if lost. */
const copyEveryMs = 50;
const copyAtMost = 1000;

/**
 * Appends folded events to the copy, coalesced over `copyEveryMs` (or `copyAtMost` records): a
 * durable commit per fold would put an fsync on the event loop for every append of the cluster.
 * What a crash loses of it is folded again from etcd at start (the copy's head is where it goes on).
 */
export class CopyWriter {
  private pending: ClusterEvent[] = [];
  private base: { seq: number; hash: string; state: string } | undefined;
  private scheduled = false;

  /** `problem` is told a failure to write the copy (a full disk, say), and null once a write succeeds again. */
  constructor(
    private readonly copy: ClusterCopy,
    private readonly problem: (text: string | null) => void = () => undefined,
  ) {}

  /** The copy starts at a snapshot: a new node's, or one that was away while etcd trimmed what it lacked. */
  snapshotBase(state: ClusterState, head: Head): void {
    this.pending = this.pending.filter((e) => e.seq > head.seq);
    this.base = { seq: head.seq, hash: head.hash, state: canonicalJson(state) };
    this.add([]);
  }

  add(events: readonly ClusterEvent[]): void {
    // Made rows at the flush, off the turn that folded them.
    for (const e of events) this.pending.push(e);
    if (this.closed) return;
    if (this.pending.length >= copyAtMost) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    this.timer = setTimeout(() => this.flush(), copyEveryMs);
    this.timer.unref();
  }

  private timer: NodeJS.Timeout | undefined;

  private closed = false;

  /** Writes what is pending now and stops (the node closes before its log does). */
  close(): void {
    this.flush();
    this.closed = true;
  }

  flush(): void {
    clearTimeout(this.timer);
    this.scheduled = false;
    if (this.closed) return;
    if (this.pending.length === 0 && !this.base) return;
    const rows = this.pending.map(rowOf);
    this.pending = [];
    try {
      this.copy.append(rows, this.base);
      this.base = undefined;
      this.problem(null);
    } catch (e) {
      // What was not written is folded again from etcd at the next start (the copy's head is where it goes on).
      this.problem(`not written to the database: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
