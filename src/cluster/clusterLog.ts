import type { IWatchResponse as WatchResponse } from "etcd3";
import { canonicalJson } from "../domain/canonical.js";
import type { ClusterCommand, ClusterEvent, ClusterNewEvent } from "../domain/cluster/events.js";
import { clusterEntities, type ClusterState, emptyClusterState, foldCluster } from "../domain/cluster/state.js";
import { clusterSnapshotDue, snapshotStretch } from "../domain/snapshotStretch.js";
import { asNetledgerError, corrupt } from "../domain/errors.js";
import { genesisHash } from "../store/hashChain.js";
import { stateHash } from "../store/stateHash.js";
import { type Appended, Appender, type FoldedLog, type OwnAppend } from "./appender.js";
import { type ClusterConnection, unavailable } from "./connection.js";
import { LastingWatch } from "./lastingWatch.js";
import { latestSnapshot } from "./snapshots.js";
import { behind, eventsAfter, placeOf } from "./folding.js";
import { type Head, logPrefix, readFromHead, seqKey, seqOfKey } from "./records.js";

export type { Answer, Appended } from "./appender.js";

const defaultPollMs = 1000;
/** The fewest events between two snapshots of a node (snapshotStretch's floor for the cluster). */
const defaultSnapshotFloor = 1000;

/**
 * One node's view of the cluster log: the folded state at the head it has read, a watch that folds
 * what others append, and the appender (src/cluster/appender.ts), which decides against that state
 * and hands back what it wrote.
 */
export class ClusterLog implements FoldedLog {
  private state: ClusterState = emptyClusterState();
  private head: Head = { seq: 0, hash: genesisHash };
  /** The mod revision of the record at `head`: the revision of the transaction that wrote it (0: not known yet). */
  private headRev = "0";
  /** The revision of the last read that reached the head: everything up to it is folded. */
  private readRev = "0";
  private watcher: LastingWatch | null = null;
  private poller: NodeJS.Timeout | undefined;
  private catching: Promise<void> | null = null;
  private listeners: ((events: ClusterEvent[], s: ClusterState) => void)[] = [];
  /** Told of the next fold (Forwarding waits on it for a forwarded command's batch). */
  private foldWaiters: (() => void)[] = [];
  /** The last events folded, for the answers of forwarded commands. */
  private recent: ClusterEvent[] = [];
  /** Conflicts met by this node's appends (for the benchmark and `cluster status`). */
  conflicts = 0;

  /**
   * Told when a snapshot this node wrote failed, and null when one is written again: the log in etcd
   * is trimmed, and etcd's history compacted, only after a snapshot (snapshots.ts).
   */
  onSnapshotProblem: (text: string | null) => void = () => undefined;

  snapshotWritten(seq: number, error: unknown): void {
    this.onSnapshotProblem(
      error === null
        ? null
        : `the snapshot at seq ${seq} was not written, so the log in etcd is neither trimmed nor compacted; tried again after ${this.stretch()} more events: ${asNetledgerError(error).message}`,
    );
  }

  /** The seq of the snapshot this node started from (0: it read the whole log). */
  loadedFrom = 0;
  /**
   * Where the stretch to this node's next snapshot is counted from, and the entities of the state
   * there: the snapshot (or copy) it started from, or the snapshot it last wrote or tried.
   */
  private snapshotAt = { seq: 0, entities: 0 };

  private stretch(): number {
    return this.snapshotEvery ?? snapshotStretch(this.snapshotAt.entities, defaultSnapshotFloor);
  }

  /** The state this node starts from at `seq` (a snapshot, or its verified copy): the next stretch counts from it. */
  private startAt(seq: number): void {
    this.loadedFrom = seq;
    this.snapshotAt = { seq, entities: clusterEntities(this.state) };
  }

  /**
   * Whether this node's append that moved the head from `from` to `to` writes a snapshot; true at most
   * once a stretch, which is then counted from `to` (a snapshot that fails is tried a stretch later).
   * Each snapshot rewrites the whole global part, so left to follow the state, the stretch grows with
   * the part as the last snapshot found it: at a fixed 1,000 events, a state of thousands of endpoints
   * cost more to snapshot than the events between, and three nodes flat out ran about 10 % slower
   * than with no snapshots. A log that only grows is snapshotted at 1,000, 3,000, 9,000… events.
   */
  snapshotDue(from: number, to: number): boolean {
    const due = clusterSnapshotDue({ from, to, last: this.snapshotAt.seq, every: this.snapshotEvery, stretch: this.stretch() });
    if (due) this.snapshotAt = { seq: to, entities: clusterEntities(this.state) };
    return due;
  }

  constructor(
    readonly conn: ClusterConnection,
    /**
     * Given, a node whose append crosses a multiple of it writes a snapshot of the global part (tests
     * make it small). Left out, a node whose append leaves the head a stretch past the snapshot it
     * knows of writes one: 1,000 events, or twice the global part's entities if more (snapshotStretch).
     */
    readonly snapshotEvery?: number,
    /** How often the head is read besides the watch (tests that must see the watch alone set it long). */
    private readonly pollMs = defaultPollMs,
  ) {}

  /** How many times the watch was made again after etcd cancelled it. */
  get watchRemade(): number {
    return this.watcher?.remade ?? 0;
  }

  private readonly appender = new Appender(this);

  get current(): ClusterState {
    return this.state;
  }
  get headSeen(): Head {
    return this.head;
  }

  /** The state hash of the global part: sha256 of its canonical JSON (equal on every node at one seq). */
  stateHash(): string {
    return stateHash(canonicalJson(this.state));
  }

  /** Told of every event folded, in seq order, with the state after them. */
  onFold(f: (events: ClusterEvent[], s: ClusterState) => void): void {
    this.listeners.push(f);
  }

  /** Reads the log up to its head and starts the watch that keeps this node folded. */
  /**
   * `from`: a state and head this node already verified (its SQLite copy), folded on from there; else
   * the latest snapshot in the cluster, told to `onSnapshot` before anything after it is folded.
   */
  async open(o: { from?: { state: ClusterState; head: Head }; onSnapshot?: (state: ClusterState, head: Head) => void } = {}): Promise<void> {
    this.snapshotTaken = o.onSnapshot;
    if (o.from && o.from.head.seq > 0) {
      this.state = o.from.state;
      this.head = o.from.head;
      this.startAt(o.from.head.seq);
    } else {
      const snap = await latestSnapshot(this.conn);
      if (snap) {
        this.state = snap.state;
        this.head = snap.head;
        this.startAt(snap.head.seq);
        o.onSnapshot?.(snap.state, snap.head);
      }
    }
    // A watch response carries whole revisions (etcd never splits a transaction's events), so what it
    // brings is folded at once, verified like a read; a record past a gap (a missed notification) is
    // left to a read, and what this node folded already (its own appends) is skipped: no read per append.
    // Made again after a read when etcd cancels it (its next revision compacted): from the head read.
    this.watcher = new LastingWatch(this.conn, "watch", async () => {
      await this.catchUp();
      // From after the read, not after the head's revision: etcd may have compacted everything since
      // the head was written, and a watch from there would be cancelled again.
      const w = await this.conn.kv.watch().prefix("log/").startRevision(String(Math.max(Number(this.headRev), Number(this.readRev)) + 1)).create();
      w.on("data", (res: WatchResponse) => this.foldWatched(res));
      w.on("connected", () => void this.catchUp().catch(() => undefined));
      return w;
    });
    await this.watcher.start();
    // A watch stream that broke in an outage reconnects only after the client's back-off (up to 30 s):
    // a read of the head every second bounds how long a node trails once the quorum is back.
    this.poller = setInterval(() => void this.catchUp().catch(() => undefined), this.pollMs);
    this.poller.unref();
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.watcher?.cancel();
    this.watcher = null;
  }

  /** Folds everything after this node's head; concurrent callers share one read. */
  catchUp(): Promise<void> {
    if (!this.catching)
      this.catching = this.readAfterHead().finally(() => {
        this.catching = null;
      });
    return this.catching;
  }

  /** Folds the log records a watch response carries that follow the head; a gap is left to a read. */
  private foldWatched(res: WatchResponse): void {
    const puts = res.events.filter((ev) => ev.type === "Put").map((ev) => ev.kv);
    const rest = this.adoptWatchedOwn(puts);
    let events: ClusterEvent[] | null = null;
    try {
      events = eventsAfter(this.head, rest, true);
    } catch {
      // Not what a read would give: the read says what is wrong.
    }
    if (!events) return void this.catchUp().catch(() => undefined);
    this.apply(events);
    // A transaction's records share its revision, and the response ends on a whole one.
    if (events.length > 0 || rest !== puts) this.headRev = puts[puts.length - 1]!.mod_revision;
  }

  /** This node's append in flight (src/cluster/appender.ts). */
  private own: OwnAppend | null = null;
  expectOwn(own: OwnAppend | null): void {
    this.own = own;
  }

  /**
   * This node's own append, brought by the watch before its call answered: records byte for byte the
   * ones it sealed (and verified) on the head it holds, so the state it decided them on is adopted, not
   * folded and verified a second time. Returns the records left to fold.
   */
  private adoptWatchedOwn(puts: readonly { key: Buffer; value: Buffer }[]): readonly { key: Buffer; value: Buffer }[] {
    const own = this.own;
    if (!own || this.head.seq !== own.sealedOn.seq || this.head.hash !== own.sealedOn.hash) return puts;
    const at = puts.findIndex((kv) => kv.key.toString().endsWith(seqKey(own.sealedOn.seq + 1)));
    if (at < 0 || puts.length < at + own.values.length || puts.slice(0, at).some((kv) => seqOfKey(kv.key) > this.head.seq)) return puts;
    for (let i = 0; i < own.values.length; i++) {
      const kv = puts[at + i]!;
      if (!kv.key.toString().endsWith(seqKey(own.sealedOn.seq + 1 + i)) || !kv.value.equals(own.values[i]!)) return puts;
    }
    this.own = null;
    this.apply(own.written, own.decided());
    own.adopted?.();
    return puts.slice(at + own.values.length);
  }

  private async readAfterHead(): Promise<void> {
    for (;;) {
      // The head this read is sent from: the watch may fold further while it is out.
      const asked = this.head;
      const res = await this.conn.call("read the log", (opts) => readFromHead(this.conn.kv, asked).options(opts).exec());
      const place = placeOf(asked, res.kvs);
      if (place === "trimmed") {
        await this.rebase();
        continue;
      }
      // etcd is behind what this node folded and verified: its data was wiped or restored from an older
      // backup, or --cluster names another cluster. Appending on would fork the log: refuse, saying so.
      if (place === "behind") throw behind(await this.etcdEnd(), asked.seq);
      if (!this.foldRange(res.kvs, res.more)) {
        this.readRev = String(res.header.revision);
        return;
      }
    }
  }

  /**
   * Folds records read in one revision from this node's head on (the head's own record first, when
   * etcd still has it); true when etcd holds more than the read returned. An append of this node's
   * may have been folded while the read was out: what is folded already is skipped.
   */
  private foldRange(kvs: readonly { key: Buffer; value: Buffer; mod_revision: string }[], more: boolean): boolean {
    this.apply(eventsAfter(this.head, kvs)!);
    const last = kvs[kvs.length - 1];
    if (last && seqOfKey(last.key) === this.head.seq) this.headRev = String(last.mod_revision);
    return more;
  }

  /** The seq of etcd's last log record (0: none), for the message of a log that is behind. */
  private async etcdEnd(): Promise<number> {
    const keys = await this.conn.call("read the log's end", (opts) => this.conn.kv.getAll().prefix(logPrefix).sort("Key", "Descend").limit(1).options(opts).keys());
    return keys[0] === undefined ? 0 : seqOfKey(keys[0]);
  }

  /**
   * The records after this node's head were trimmed from etcd (it was away while two snapshots were
   * written after them): it starts again from the latest snapshot, as a new node does, and says so to
   * `onSnapshot` (the node's copy starts again there, and it reconciles everything).
   */
  private async rebase(): Promise<void> {
    const snap = await latestSnapshot(this.conn);
    if (!snap || snap.head.seq <= this.head.seq)
      throw corrupt(`cluster log: the records after seq ${this.head.seq} are gone from etcd, and no snapshot there is later than it`);
    this.state = snap.state;
    this.head = snap.head;
    this.headRev = "0"; // set by the read that reaches the head
    this.startAt(snap.head.seq);
    this.recent = [];
    this.rebased++;
    this.snapshotTaken?.(snap.state, snap.head);
  }
  /** How many times this node started again from a snapshot after etcd's log was trimmed past it. */
  rebased = 0;
  private snapshotTaken: ((state: ClusterState, head: Head) => void) | undefined;

  /** `folded`: the state after `events`, when the caller has it already (its own batch, decided on it). */
  private apply(events: ClusterEvent[], folded?: ClusterState): void {
    if (events.length === 0) return;
    this.state = folded ?? foldCluster(this.state, events.map((e) => ({ event: e, seq: e.seq })));
    const last = events[events.length - 1]!;
    this.head = { seq: last.seq, hash: last.hash };
    this.recent.push(...events);
    if (this.recent.length > 4000) this.recent = this.recent.slice(-2000);
    for (const f of this.listeners) f(events, this.state);
    const waiting = this.foldWaiters;
    this.foldWaiters = [];
    for (const w of waiting) w();
  }

  /**
   * Decides a command against the folded cluster state and appends what it decided (src/cluster/appender.ts).
   * Refused: the command's own error (nothing appended). No answer from a quorum within
   * --cluster-timeout: ClusterUnavailable.
   */
  submit(command: ClusterCommand, decided?: (events: readonly ClusterNewEvent[]) => void): Promise<Appended> {
    return this.appender.submit(command, decided);
  }

  /** A command forwarded by another node (`req/<id>`), appended in this node's next batch. */
  enqueueRemote(id: string, command: ClusterCommand, bytes: number): void {
    this.appender.enqueueRemote(id, command, bytes);
  }

  /** The events folded with seqs from..from+count-1 (those still kept; the state holds them all). */
  eventsAt(from: number, count: number): ClusterEvent[] {
    // `recent` is in seq order: found by halving, not a pass over thousands of events per forwarded command.
    let lo = 0;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.recent[mid]!.seq < from) lo = mid + 1;
      else hi = mid;
    }
    const out: ClusterEvent[] = [];
    for (let i = lo; i < this.recent.length && this.recent[i]!.seq < from + count; i++) out.push(this.recent[i]!);
    return out;
  }

  /** Folds until the head is at least `seq` (a forwarded command's batch), or the deadline passes. */
  async foldTo(seq: number, deadline: number): Promise<void> {
    // The watch brings it in the same revision's notification, mostly: a read only if it is slow to.
    const watchFor = Math.min(deadline, Date.now() + 100);
    while (this.head.seq < seq && Date.now() < watchFor) await this.nextFold(watchFor - Date.now());
    while (this.head.seq < seq) {
      if (Date.now() > deadline) throw unavailable("fold", `seq ${seq} was not read within ${this.conn.o.timeoutMs} ms`);
      const before = this.head.seq;
      await this.catchUp();
      if (this.head.seq === before) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves at the next fold, or after `ms`. */
  private nextFold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(1, ms));
      this.foldWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- what the appender needs

  /** The mod revision of the record at the head this node has folded (an append's condition). */
  get headRevision(): string {
    return this.headRev;
  }

  /** The events of the first of these attempts that is in the log (folded), if any. */
  landed(attempts: ReadonlyMap<string, unknown>): { batch: string; events: ClusterEvent[] } | undefined {
    if (attempts.size === 0) return undefined; // a batch's first attempt: nothing of it can be in the log
    const hit = this.recent.find((e) => attempts.has(e.meta.batch));
    return hit ? { batch: hit.meta.batch, events: this.recent.filter((e) => e.meta.batch === hit.meta.batch) } : undefined;
  }

  /** An append sealed on `sealedOn` was written at `revision` (unless the watch folded it first: it noted the revision then). */
  noteWritten(sealedOn: Head, revision: string): void {
    if (this.head.seq === sealedOn.seq) this.headRev = revision;
  }

  /**
   * Folds what a conflicting append's else branch read (a page of the log from the record at
   * `sealedOn`); true when that caught this node up, or told it the head's revision it lacked, so the
   * batch can be decided again at once.
   */
  foldConflict(sealedOn: Head, kvs: readonly { key: Buffer; value: Buffer; mod_revision: string }[], more: boolean): boolean {
    // Trimmed past this node's head, or etcd behind it: the appender's catch-up rebases, or says so.
    if (this.head.seq !== sealedOn.seq || placeOf(sealedOn, kvs) !== "on") return false;
    const rev = this.headRev;
    return !this.foldRange(kvs, more) && (this.head.seq > sealedOn.seq || this.headRev !== rev);
  }

  /**
   * Folds a batch this node wrote, unless the watch's read folded it first: it adopts the state it
   * decided the batch on (`decided`, the state after it) and the records it sealed, not read back.
   */
  async adoptOwn(sealedOn: Head, written: ClusterEvent[], decided: () => ClusterState): Promise<void> {
    const last = written[written.length - 1]!;
    if (this.head.seq >= last.seq) return;
    if (this.head.seq === sealedOn.seq) this.apply(written, decided());
    else await this.catchUp();
  }
}
