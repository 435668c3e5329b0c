import { randomBytes } from "node:crypto";
import type { IWatchResponse as WatchResponse, Watcher } from "etcd3";
import { canonicalJson } from "../domain/canonical.js";
import { decideCluster } from "../domain/cluster/decide.js";
import type { ClusterCommand, ClusterEvent, ClusterNewEvent } from "../domain/cluster/events.js";
import { type ClusterState, emptyClusterState, foldCluster } from "../domain/cluster/state.js";
import { asNetledgerError, NetledgerError } from "../domain/errors.js";
import { genesisHash } from "../store/hashChain.js";
import { stateHash } from "../store/stateHash.js";
import { type ClusterConnection, unavailable } from "./connection.js";
import { latestSnapshot, writeSnapshot } from "./snapshots.js";
import { behind, eventsAfter, reopen } from "./folding.js";
import { batchPrefix, type Head, headKey, logEnd, reqPrefix, resPrefix, seal, seqKey } from "./records.js";

/** A command's result: the events the cluster log recorded for it (none when nothing changed). */
export type Appended = ClusterEvent[];

interface Pending {
  command: ClusterCommand;
  resolve: (events: Appended) => void;
  reject: (e: NetledgerError) => void;
  /** Epoch ms after which the caller gets ClusterUnavailable. */
  deadline: number;
  settled?: boolean;
  /** A command another node forwarded (`req/<id>`): its answer is written to `res/<id>` with the batch. */
  remote?: string;
}

/** What the appender writes to `res/<id>` for a forwarded command (src/cluster/forwarding.ts). */
export type Answer =
  | { ok: true; from: number; count: number; at: number }
  | { ok: false; error: { code: string; message: string } & Record<string, unknown> };

/** The most commands one transaction carries (etcd's default limit is 128 operations per txn). */
const maxBatch = 36; // with two operations per forwarded command: 36 + 72 + 2 < 128
const pollMs = 1000;

/**
 * One node's view of the cluster log: the folded state at the head it has read, a watch that folds
 * what others append, and the appender.
 *
 * Appending (optimistic concurrency, as a group commit): every command submitted while a transaction is
 * in flight waits and goes into the next one, so a node under load writes one transaction for many
 * commands (four unbatched appenders fell to 61/s here with 2.2 conflicts per append). A batch is
 * decided against the state at the head this node has folded and written in one etcd transaction,
 * conditioned on the head key's mod revision and on the next seq's key being absent; on conflict the
 * node catches up and decides the whole batch again. A transaction is all or nothing, so nothing is
 * ever half-written. Each batch has a unique id, written with it (`batch/<id>`): a writer whose call
 * failed reads that key before deciding again, since etcd may have applied a call whose answer was lost.
 */
export class ClusterLog {
  private state: ClusterState = emptyClusterState();
  private head: Head = { seq: 0, hash: genesisHash };
  /** The head key's mod revision at `head` (0: no head key yet). */
  private headRev = "0";
  private queue: Pending[] = [];
  private flushing = false;
  private watcher: Watcher | null = null;
  private poller: NodeJS.Timeout | undefined;
  private catching: Promise<void> | null = null;
  private listeners: ((events: ClusterEvent[], s: ClusterState) => void)[] = [];
  /** Forwarded commands queued or in a batch, by request id (so a re-read request is not queued twice). */
  private readonly remoteIds = new Set<string>();
  /** Told of the next fold (Forwarding waits on it for a forwarded command's batch). */
  private foldWaiters: (() => void)[] = [];
  /** The last events folded, for the answers of forwarded commands. */
  private recent: ClusterEvent[] = [];
  /** Conflicts met by this node's appends (for the benchmark and `cluster status`). */
  conflicts = 0;

  /** The seq of the snapshot this node started from (0: it read the whole log). */
  loadedFrom = 0;

  /** `snapshotEvery`: a node whose append crosses a multiple of it writes a snapshot of the global part. */
  constructor(
    readonly conn: ClusterConnection,
    private readonly snapshotEvery = 1000,
  ) {}

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
    if (o.from && o.from.head.seq > 0) {
      this.state = o.from.state;
      this.head = o.from.head;
      this.loadedFrom = o.from.head.seq;
    } else {
      const snap = await latestSnapshot(this.conn);
      if (snap) {
        this.state = snap.state;
        this.head = snap.head;
        this.loadedFrom = snap.head.seq;
        o.onSnapshot?.(snap.state, snap.head);
      }
    }
    await this.catchUp();
    this.watcher = await this.conn.call("watch", () =>
      this.conn.kv.watch().prefix("log/").startRevision(String(Number(this.headRev) + 1)).create(),
    );
    // A watch response carries whole revisions (etcd never splits a transaction's events), so what it
    // brings is folded at once, verified like a read; a record past a gap (a missed notification) is
    // left to a read, and what this node folded already (its own appends) is skipped: no read per append.
    this.watcher.on("data", (res: WatchResponse) => this.foldWatched(res));
    this.watcher.on("connected", () => void this.catchUp().catch(() => undefined));
    // A watch stream that broke in an outage reconnects only after the client's back-off (up to 30 s):
    // a read of the head every second bounds how long a node trails once the quorum is back.
    this.poller = setInterval(() => void this.catchUp().catch(() => undefined), pollMs);
    this.poller.unref();
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.watcher?.cancel().catch(() => undefined);
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
    let events: ClusterEvent[] | null = null;
    try {
      events = eventsAfter(this.head, puts, true);
    } catch {
      // Not what a read would give: the read says what is wrong.
    }
    if (!events) return void this.catchUp().catch(() => undefined);
    this.apply(events);
    // The head key was written with the last record of each revision, and the response ends on a whole one.
    if (events.length > 0) this.headRev = puts[puts.length - 1]!.mod_revision;
  }

  private async readAfterHead(): Promise<void> {
    for (;;) {
      const from = this.head.seq + 1;
      const res = await this.conn.call("read the log", (opts) =>
        this.conn.kv
          .if(headKey, "Mod", ">", -1)
          .then(this.conn.kv.get(headKey), this.conn.kv.getAll().inRange({ start: seqKey(from), end: logEnd }).limit(500))
          .options(opts)
          .commit(),
      );
      const more = this.foldRange(res.responses[0]?.response_range?.kvs?.[0], res.responses[1]?.response_range?.kvs ?? [], from - 1);
      if (!more) return;
    }
  }

  /**
   * Folds records read in one revision with the head key of that revision; true when the head is
   * further than what was read (more than one page behind). An append of this node's may have been
   * folded while the read was out: what is folded already is skipped.
   */
  private foldRange(headKv: { value: Buffer; mod_revision: string } | undefined, kvs: readonly { key: Buffer; value: Buffer }[], asked: number): boolean {
    const events = eventsAfter(this.head, kvs)!;
    this.apply(events);
    const h = headKv ? (JSON.parse(headKv.value.toString()) as Head) : { seq: 0, hash: genesisHash };
    // etcd is behind what this node folded and verified: its data was wiped or restored from an older
    // backup, or --cluster names another cluster. Appending on would fork the log: refuse, saying so.
    // (Against the head when the read was sent: the watch may have folded further while it was out.)
    if (h.seq < asked) throw behind(h.seq, asked);
    if (!headKv) return false;
    if (h.seq === this.head.seq) this.headRev = String(headKv.mod_revision);
    return h.seq > this.head.seq && kvs.length > 0;
  }

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
   * Decides a command against the folded cluster state and appends what it decided. Refused: the
   * command's own error (nothing appended). No answer from a quorum within --cluster-timeout:
   * ClusterUnavailable.
   */
  submit(command: ClusterCommand): Promise<Appended> {
    return new Promise((resolve, reject) => {
      this.queue.push({ command, resolve, reject, deadline: Date.now() + this.conn.o.timeoutMs });
      if (!this.flushing) void this.flush();
    });
  }

  /** A command forwarded by another node (`req/<id>`), appended in this node's next batch. */
  enqueueRemote(id: string, command: ClusterCommand): void {
    if (this.remoteIds.has(id)) return;
    this.remoteIds.add(id);
    const done = () => void this.remoteIds.delete(id);
    this.queue.push({ command, remote: id, resolve: done, reject: done, deadline: Date.now() + this.conn.o.timeoutMs });
    if (!this.flushing) void this.flush();
  }

  /** The events folded with seqs from..from+count-1 (those still kept; the state holds them all). */
  eventsAt(from: number, count: number): ClusterEvent[] {
    return this.recent.filter((e) => e.seq >= from && e.seq < from + count);
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

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, maxBatch);
        // A read that failed after the batch's call (folding it, say) must not leave its callers waiting.
        await this.appendBatch(batch).catch((e: unknown) => batch.forEach((p) => p.reject(inDoubt(asNetledgerError(e, "ClusterUnavailable")))));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async appendBatch(batch: Pending[]): Promise<void> {
    // Each attempt has its own batch id: one whose call failed may still land later, and be folded
    // while this batch is decided again; its commands are then settled by what it wrote.
    const tried = new Map<string, Plan>();
    for (;;) {
      const hit = this.recent.find((e) => tried.has(e.meta.batch));
      if (hit) return settleLanded(tried.get(hit.meta.batch)!, this.recent.filter((e) => e.meta.batch === hit.meta.batch));
      const batchId = randomBytes(12).toString("hex");
      const live = batch.filter((p) => {
        if (p.settled) return false;
        if (Date.now() <= p.deadline) return true;
        p.settled = true;
        p.reject(unavailable("append", `no append could be made within ${this.conn.o.timeoutMs} ms`));
        return false;
      });
      if (live.length === 0) return;
      const remaining = Math.max(1, Math.min(...live.map((p) => p.deadline)) - Date.now());
      // Decide every command against the state as the ones before it in the batch leave it.
      let s = this.state;
      let seq = this.head.seq;
      // A refusal is final only with the batch: after a conflict the command is decided again.
      const planned: { p: Pending; events: ClusterNewEvent[]; from: number }[] = [];
      const refused: { p: Pending; e: NetledgerError }[] = [];
      const all: ClusterNewEvent[] = [];
      for (const p of live) {
        try {
          const events = decideCluster(s, p.command);
          s = foldCluster(s, events.map((event, i) => ({ event, seq: seq + 1 + i })));
          planned.push({ p, events, from: all.length });
          all.push(...events);
          seq += events.length;
        } catch (e) {
          refused.push({ p, e: asNetledgerError(e) });
        }
      }
      const settleRefused = () => refused.forEach((r) => r.p.reject(r.e));
      if (all.length === 0) {
        // Nothing to write, so no transaction proved the head current: a refusal must not rest on a
        // head this node's watch has not caught up with yet. Read the head; decide again if it moved.
        if (refused.length > 0) {
          const seen = this.head.seq;
          try {
            await this.catchUp();
          } catch (e) {
            for (const p of live) p.reject(asNetledgerError(e, "ClusterUnavailable"));
            return;
          }
          if (this.head.seq !== seen) continue;
        }
        await this.answerAlone([...refused.map((r) => ({ p: r.p, a: refusal(r.e) })), ...planned.map((x) => ({ p: x.p, a: nothing(this.head.seq) }))]);
        settleRefused();
        for (const x of planned) x.p.resolve([]);
        return;
      }
      tried.set(batchId, { planned, refused });
      const sealedOn = this.head;
      const records = seal(sealedOn, all, { node: this.conn.o.node, time: new Date().toISOString(), batch: batchId });
      const last = records[records.length - 1]!;
      const written = reopen(sealedOn, records);
      const kv = this.conn.kv;
      const answers = [
        ...planned.map((x) => ({ p: x.p, a: { ok: true, from: sealedOn.seq + 1 + x.from, count: x.events.length, at: last.seq } satisfies Answer })),
        ...refused.map((r) => ({ p: r.p, a: refusal(r.e) })),
      ].filter((x) => x.p.remote !== undefined);
      let outcome: "written" | "conflict";
      try {
        const res = await this.conn.call(
          "append",
          (opts) =>
            answers
              .reduce((t, x) => t.and(reqPrefix + x.p.remote, "Create", ">", 0), kv.if(headKey, "Mod", "==", this.headRev).and(seqKey(sealedOn.seq + 1), "Create", "==", 0))
              .then(
                // A forwarded command is answered in the batch that decides it, and its request goes:
                // the request must still exist, so a command is appended once even across appenders.
                ...answers.flatMap((x) => [kv.delete().key(reqPrefix + x.p.remote), kv.put(resPrefix + x.p.remote).value(JSON.stringify(x.a))]),
                ...records.map((r) => kv.put(seqKey(r.seq)).value(JSON.stringify(r))),
                kv.put(headKey).value(JSON.stringify({ seq: last.seq, hash: last.hash })),
                kv.put(batchPrefix + batchId).value(String(records[0]!.seq)),
              )
              // On conflict, what this node missed comes back in the same round trip.
              .else(kv.get(headKey), kv.getAll().inRange({ start: seqKey(sealedOn.seq + 1), end: logEnd }).limit(500))
              .options(opts)
              .commit(),
          remaining,
        );
        outcome = res.succeeded ? "written" : "conflict";
        // (Unless the watch folded this batch first: it noted the head's revision then.)
        if (res.succeeded && this.head.seq === sealedOn.seq) this.headRev = String(res.header.revision);
        else if (this.head.seq === sealedOn.seq) {
          this.conflicts++;
          const more = this.foldRange(res.responses[0]?.response_range?.kvs?.[0], res.responses[1]?.response_range?.kvs ?? [], sealedOn.seq);
          if (!more && this.head.seq > sealedOn.seq) continue; // caught up: decide again at once
          this.conflicts--;
        }
      } catch (e) {
        // The call may have been applied though its answer was lost: look before deciding again.
        const landed = await this.conn
          .call("check an append", (opts) => kv.get(batchPrefix + batchId).options(opts).exists(), Math.max(1, Math.min(...live.map((p) => p.deadline)) - Date.now()))
          .catch(() => null);
        if (landed === null) {
          settleRefused();
          for (const x of planned) x.p.reject(inDoubt(asNetledgerError(e, "ClusterUnavailable"), batchId));
          return;
        }
        outcome = landed ? "written" : "conflict";
        if (landed) await this.catchUp().catch(() => undefined);
      }
      if (outcome === "written") {
        // The batch was decided on the state at sealedOn, folding each command's events: that state is the one after it.
        await this.foldOwn(sealedOn, written, s);
        if (Math.floor(last.seq / this.snapshotEvery) > Math.floor(sealedOn.seq / this.snapshotEvery))
          void writeSnapshot(this.conn, this.state, this.head).catch(() => undefined);
        settleRefused();
        for (const x of planned) x.p.resolve(written.slice(x.from, x.from + x.events.length));
        return;
      }
      this.conflicts++;
      try {
        if (answers.length) await this.dropAnswered(batch);
        await this.catchUp();
      } catch (e) {
        for (const p of live) p.reject(asNetledgerError(e, "ClusterUnavailable"));
        return;
      }
    }
  }

  /**
   * Forwarded commands whose request is gone were answered by another appender (a change of appender):
   * they leave the batch, which would otherwise never again meet its own conditions.
   */
  private async dropAnswered(batch: Pending[]): Promise<void> {
    const keys = new Set(await this.conn.call("read the requests", (opts) => this.conn.kv.getAll().prefix(reqPrefix).options(opts).keys()));
    for (const p of batch)
      if (p.remote && !p.settled && !keys.has(reqPrefix + p.remote)) {
        p.settled = true;
        p.resolve([]);
      }
  }

  /** Answers forwarded commands of a batch that wrote nothing, each only if its request still stands. */
  private async answerAlone(xs: { p: Pending; a: Answer }[]): Promise<void> {
    const kv = this.conn.kv;
    for (const { p, a } of xs) {
      if (!p.remote) continue;
      const key = p.remote;
      await this.conn
        .call("answer a request", (opts) =>
          kv.if(reqPrefix + key, "Create", ">", 0).then(kv.delete().key(reqPrefix + key), kv.put(resPrefix + key).value(JSON.stringify(a))).options(opts).commit(),
        )
        .catch(() => undefined); // unanswered, the request stays: read again, or its sender falls back
    }
  }

  /** Folds a batch this node wrote, unless the watch's read folded it first. */
  private async foldOwn(sealedOn: Head, written: ClusterEvent[], decided: ClusterState): Promise<void> {
    const last = written[written.length - 1]!;
    if (this.head.seq >= last.seq) return;
    if (this.head.seq === sealedOn.seq) this.apply(written, decided);
    else await this.catchUp();
  }
}

interface Plan {
  planned: { p: Pending; events: ClusterNewEvent[]; from: number }[];
  refused: { p: Pending; e: NetledgerError }[];
}

/** Settles the commands of an attempt found in the log after its call had failed: as if it had answered. */
function settleLanded(plan: Plan, written: ClusterEvent[]): void {
  for (const r of plan.refused) r.p.reject(r.e);
  for (const x of plan.planned) x.p.resolve(written.slice(x.from, x.from + x.events.length));
}

const inDoubt = (e: NetledgerError, batch?: string) => new NetledgerError(e.code, e.message, { inDoubt: true, ...(batch ? { batch } : {}) });
const refusal = (e: NetledgerError): Answer => ({ ok: false, error: e.toJSON() });
const nothing = (at: number): Answer => ({ ok: true, from: at + 1, count: 0, at });
