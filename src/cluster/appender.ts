import { randomBytes } from "node:crypto";
import type { ClusterCommand, ClusterEvent, ClusterNewEvent } from "../domain/cluster/events.js";
import type { ClusterState } from "../domain/cluster/state.js";
import { asNetledgerError, NetledgerError } from "../domain/errors.js";
import { type Decided, decideBatch } from "./batchDecision.js";
import { type ClusterConnection, isAnswer, unavailable } from "./connection.js";
import { reopen } from "./folding.js";
import { type ClusterRecord, commandBytes, genesisKey, type Head, readFromHead, reqPrefix, resPrefix, seal, seqKey } from "./records.js";
import { writeSnapshot } from "./snapshots.js";
import { takeBatch } from "./takeBatch.js";

/** A command's result: the events the cluster log recorded for it (none when nothing changed). */
export type Appended = ClusterEvent[];

/** What the appender writes to `res/<id>` for a forwarded command (src/cluster/forwarding.ts). */
export type Answer =
  | { ok: true; from: number; count: number; at: number }
  | { ok: false; error: { code: string; message: string } & Record<string, unknown> };

interface Pending {
  command: ClusterCommand;
  resolve: (events: Appended) => void;
  reject: (e: NetledgerError) => void;
  /** Epoch ms after which the caller gets ClusterUnavailable. */
  deadline: number;
  /** The command's weight as JSON. */
  bytes: number;
  settled?: boolean;
  /** A command another node forwarded (`req/<id>`): its answer is written to `res/<id>` with the batch. */
  remote?: string;
  /** Told what each attempt decided for the command, once its transaction is on its way. */
  decided?: (events: readonly ClusterNewEvent[]) => void;
}

type Kv = { key: Buffer; value: Buffer; mod_revision: string };

/** What the appender needs of the log it appends to (src/cluster/clusterLog.ts): its folded view, and how it moves. */
export interface FoldedLog {
  readonly conn: ClusterConnection;
  /** Whether the append that moved the head from `from` to `to` writes a snapshot (at most once a stretch). */
  snapshotDue(from: number, to: number): boolean;
  readonly current: ClusterState;
  readonly headSeen: Head;
  /** The mod revision of the record at `headSeen` (the revision that wrote it): an append's condition. */
  readonly headRevision: string;
  conflicts: number;
  catchUp(): Promise<void>;
  landed(attempts: ReadonlyMap<string, unknown>): { batch: string; events: ClusterEvent[] } | undefined;
  noteWritten(sealedOn: Head, revision: string): void;
  foldConflict(sealedOn: Head, kvs: readonly Kv[], more: boolean): boolean;
  adoptOwn(sealedOn: Head, written: ClusterEvent[], decided: () => ClusterState): Promise<void>;
  /** The append in flight (null: none), so that the watch bringing it back adopts it rather than folding it again. */
  expectOwn(own: OwnAppend | null): void;
  /** Told how the snapshot this node wrote at `seq` went (null: written). */
  snapshotWritten(seq: number, error: unknown): void;
}

/** An append this node has sent: the records' values as written, their events and the state after them. */
export interface OwnAppend {
  sealedOn: Head;
  values: Buffer[];
  written: ClusterEvent[];
  /** The state after the batch, finished when first asked for (see Decided.state). */
  decided: () => ClusterState;
  /** Told when the watch brought the records back and they were adopted: the transaction was applied. */
  adopted?: () => void;
}

/** The most commands one transaction carries (etcd's default limit is 128 operations per txn). */
const maxBatch = 36; // with two operations per forwarded command: 36 + 72 + 2 < 128
/** The most command JSON one transaction carries: its records and answers stay under etcd's 1.5 MiB. */
const maxBatchBytes = 512 * 1024;

/**
 * The append path of one node's cluster log (optimistic concurrency, as a group commit): every command
 * submitted while a transaction is in flight waits and goes into the next one, so a node under load
 * writes one transaction for many commands (four unbatched appenders fell to 61/s here with 2.2
 * conflicts per append). A batch is decided against the state at the head the log has folded and
 * written in one etcd transaction, conditioned on the mod revision of the record at that head and on
 * the next seq's key being absent; on conflict the log catches up and the whole batch is decided again. A transaction is
 * all or nothing, so nothing is ever half-written. The records of each attempt carry its unique batch
 * id (`<batch>.<i>`): a writer whose call failed reads the record at the seq it wrote first before
 * deciding again, since etcd may have applied a call whose answer was lost.
 */
export class Appender {
  private queue: Pending[] = [];
  private flushing = false;
  /** Forwarded commands queued or in a batch, by request id (so a re-read request is not queued twice). */
  private readonly remoteIds = new Set<string>();

  /**
   * Batch ids: random per appender, then counted, so that no two attempts anywhere share one (a
   * record's id is `<batch>.<i>`) without drawing random bytes for every batch.
   */
  private readonly batchPrefix = randomBytes(12).toString("hex");
  private batches = 0;

  constructor(private readonly log: FoldedLog) {}

  private nextBatchId(): string {
    return `${this.batchPrefix}${(this.batches++).toString(36)}`;
  }

  private get conn() {
    return this.log.conn;
  }

  submit(command: ClusterCommand, decided?: (events: readonly ClusterNewEvent[]) => void): Promise<Appended> {
    return new Promise((resolve, reject) => {
      const bytes = commandBytes(command);
      this.queue.push({ command, bytes, resolve, reject, deadline: Date.now() + this.conn.o.timeoutMs, ...(decided ? { decided } : {}) });
      if (!this.flushing) void this.flush();
    });
  }

  /** `bytes`: the request's weight as read from etcd (its sender refused one too large before putting it). */
  enqueueRemote(id: string, command: ClusterCommand, bytes: number): void {
    if (this.remoteIds.has(id)) return;
    this.remoteIds.add(id);
    const done = () => void this.remoteIds.delete(id);
    this.queue.push({ command, bytes, remote: id, resolve: done, reject: done, deadline: Date.now() + this.conn.o.timeoutMs });
    if (!this.flushing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = takeBatch(this.queue, maxBatch, maxBatchBytes);
        // A read that failed after the batch's call (folding it, say) must not leave its callers waiting.
        await this.appendBatch(batch).catch((e: unknown) => batch.forEach((p) => p.reject(inDoubt(asNetledgerError(e, "ClusterUnavailable")))));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async appendBatch(batch: Pending[]): Promise<void> {
    const log = this.log;
    // Each attempt has its own batch id: one whose call failed may still land later, and be folded
    // while this batch is decided again; its commands are then settled by what it wrote.
    const tried = new Map<string, Plan>();
    for (;;) {
      const hit = log.landed(tried);
      if (hit) return settleLanded(tried.get(hit.batch)!, hit.events);
      const batchId = this.nextBatchId();
      const live = batch.filter((p) => {
        if (p.settled) return false;
        if (Date.now() <= p.deadline) return true;
        p.settled = true;
        p.reject(unavailable("append", `no append could be made within ${this.conn.o.timeoutMs} ms`));
        return false;
      });
      if (live.length === 0) return;
      const remaining = Math.max(1, Math.min(...live.map((p) => p.deadline)) - Date.now());
      // A refusal is final only with the batch: after a conflict the command is decided again.
      const { state: after, planned, refused, all } = decideBatch(log.current, log.headSeen.seq, live);
      const settleRefused = () => refused.forEach((r) => r.p.reject(r.e));
      if (all.length === 0) {
        // Nothing to write, so no transaction proved the head current: a refusal must not rest on a
        // head this node's watch has not caught up with yet. Read the head; decide again if it moved.
        if (refused.length > 0) {
          const seen = log.headSeen.seq;
          try {
            await log.catchUp();
          } catch (e) {
            for (const p of live) p.reject(asNetledgerError(e, "ClusterUnavailable"));
            return;
          }
          if (log.headSeen.seq !== seen) continue;
        }
        await this.answerAlone([...refused.map((r) => ({ p: r.p, a: refusal(r.e) })), ...planned.map((x) => ({ p: x.p, a: nothing(log.headSeen.seq) }))]);
        settleRefused();
        for (const x of planned) x.p.resolve([]);
        return;
      }
      tried.set(batchId, { planned, refused });
      const sealedOn = log.headSeen;
      // The log's head is its last record, and records are never rewritten: the one at sealedOn is
      // unchanged since this node read it (not trimmed, etcd not wiped or replaced) and the next seq
      // is free. A log not begun yet has its genesis key put once, with its first record.
      const onHead =
        sealedOn.seq === 0 ? this.conn.kv.if(genesisKey, "Create", "==", 0) : this.conn.kv.if(seqKey(sealedOn.seq), "Mod", "==", log.headRevision);
      const records = seal(sealedOn, all, { node: this.conn.o.node, time: new Date().toISOString(), batch: batchId });
      const last = records[records.length - 1]!;
      const written = reopen(sealedOn, records);
      const values = records.map((r: ClusterRecord) => Buffer.from(JSON.stringify(r)));
      const kv = this.conn.kv;
      const answers = [
        ...planned.map((x) => ({ p: x.p, a: { ok: true, from: sealedOn.seq + 1 + x.from, count: x.events.length, at: last.seq } satisfies Answer })),
        ...refused.map((r) => ({ p: r.p, a: refusal(r.e) })),
      ].filter((x) => x.p.remote !== undefined);
      let outcome: "written" | "conflict";
      // The watch often brings the records back before the call answers: it adopts them then (same
      // bytes, already verified), and that proves the transaction applied, so the batch is settled
      // without waiting for the call's answer too (whichever comes first).
      const own: OwnAppend = { sealedOn, values, written, decided: after };
      const adopted = new Promise<"watched">((r) => (own.adopted = () => r("watched")));
      log.expectOwn(own);
      try {
        const call = this.conn.call(
          "append",
          (opts) =>
            answers
              .reduce((t, x) => t.and(reqPrefix + x.p.remote, "Create", ">", 0), onHead.and(seqKey(sealedOn.seq + 1), "Create", "==", 0))
              .then(
                // A forwarded command is answered in the batch that decides it, and its request goes:
                // the request must still exist, so a command is appended once even across appenders.
                ...answers.flatMap((x) => [kv.delete().key(reqPrefix + x.p.remote), kv.put(resPrefix + x.p.remote).value(JSON.stringify(x.a))]),
                ...records.map((r, i) => kv.put(seqKey(r.seq)).value(values[i]!)),
                ...(sealedOn.seq === 0 ? [kv.put(genesisKey).value(JSON.stringify({ seq: 1, hash: records[0]!.hash }))] : []),
              )
              // On conflict, what this node missed comes back in the same round trip.
              .else(readFromHead(kv, sealedOn))
              .options(opts)
              .commit(),
          remaining,
        );
        for (const x of planned) tell(x.p, x.events);
        // The batch's draft is finished while etcd works, once the call's frames are written (the
        // client writes them before the loop runs immediates): not on the way to sending it.
        setImmediate(() => {
          try {
            after();
          } catch {
            // Asked for again when the batch is adopted, where a failure settles its callers.
          }
        });
        const res = await Promise.race([call, adopted]);
        if (res === "watched") {
          call.catch(() => undefined); // its answer, or its failure, says nothing more
          outcome = "written";
        } else {
          outcome = res.succeeded ? "written" : "conflict";
          if (res.succeeded) log.noteWritten(sealedOn, String(res.header.revision));
          else if (log.foldConflict(sealedOn, res.responses[0]?.response_range?.kvs ?? [], res.responses[0]?.response_range?.more ?? false)) {
            log.conflicts++;
            continue; // caught up: decide again at once
          }
        }
      } catch (e) {
        // Refused (etcd past its space quota, say): not applied, and another try meets the same answer.
        if (isAnswer(e)) {
          settleRefused();
          for (const x of planned) x.p.reject(e);
          return;
        }
        // The call may have been applied though its answer was lost: look before deciding again.
        const landed = await this.wasWritten(sealedOn.seq + 1, batchId, Math.max(1, Math.min(...live.map((p) => p.deadline)) - Date.now()));
        if (landed === null) {
          settleRefused();
          for (const x of planned) x.p.reject(inDoubt(asNetledgerError(e, "ClusterUnavailable"), batchId));
          return;
        }
        outcome = landed ? "written" : "conflict";
        if (landed) await log.catchUp().catch(() => undefined);
      } finally {
        log.expectOwn(null);
      }
      if (outcome === "written") {
        // The batch was decided on the state at sealedOn, folding each command's events: that state is the one after it.
        await log.adoptOwn(sealedOn, written, after);
        settleRefused();
        for (const x of planned) x.p.resolve(written.slice(x.from, x.from + x.events.length));
        if (log.snapshotDue(sealedOn.seq, last.seq)) {
          // Its serialisation holds the thread (tens of ms for thousands of endpoints): after the callers are answered.
          const [state, head, revision, conn] = [log.current, log.headSeen, log.headRevision, this.conn];
          setTimeout(() => void writeSnapshot(conn, state, head, revision).then(() => log.snapshotWritten(head.seq, null), (e: unknown) => log.snapshotWritten(head.seq, e)), 0);
        }
        return;
      }
      log.conflicts++;
      try {
        if (answers.length) await this.dropAnswered(batch);
        await log.catchUp();
      } catch (e) {
        for (const p of live) p.reject(asNetledgerError(e, "ClusterUnavailable"));
        return;
      }
    }
  }

  /**
   * Whether the attempt `batchId` landed: the record at the seq it wrote first carries its id (no
   * other append can write that seq once it did). null: the cluster did not answer.
   */
  private async wasWritten(seq: number, batchId: string, ms: number): Promise<boolean | null> {
    const kv = this.conn.kv;
    const text = await this.conn.call("check an append", (opts) => kv.get(seqKey(seq)).options(opts).string(), ms).catch(() => undefined);
    if (text === undefined) return null;
    if (text === null) return false;
    try {
      return (JSON.parse(text) as { id?: unknown }).id === `${batchId}.0`;
    } catch {
      return false; // not a record: a read says what is wrong
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
}

type Plan = Pick<Decided<Pending>, "planned" | "refused">;

/** Settles the commands of an attempt found in the log after its call had failed: as if it had answered. */
function settleLanded(plan: Plan, written: ClusterEvent[]): void {
  for (const r of plan.refused) r.p.reject(r.e);
  for (const x of plan.planned) x.p.resolve(written.slice(x.from, x.from + x.events.length));
}

/** Tells a command's submitter what this attempt decided; what it does with that is not the batch's concern. */
function tell(p: Pending, events: readonly ClusterNewEvent[]): void {
  try {
    p.decided?.(events);
  } catch {
    // A listener that throws must not make a sent transaction look failed.
  }
}

const inDoubt = (e: NetledgerError, batch?: string) => new NetledgerError(e.code, e.message, { inDoubt: true, ...(batch ? { batch } : {}) });
const refusal = (e: NetledgerError): Answer => ({ ok: false, error: e.toJSON() });
const nothing = (at: number): Answer => ({ ok: true, from: at + 1, count: 0, at });
