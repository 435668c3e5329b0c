import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { corrupt, NetledgerError } from "../domain/errors.js";
import type { State } from "../domain/state.js";
import { ClusterCopy } from "./clusterCopy.js";
import { createDatabase } from "./create.js";
import { EffectHistory } from "./effectHistory.js";
import { EventLog } from "./eventLog.js";
import { hasLog, migrate } from "./migrations.js";
import { type SnapshotRow, snapshotState } from "./snapshots.js";
import { sleepSync, WriteQueue } from "./writeQueue.js";

export interface StoreOptions {
  /** Open without writing: no migrations, no database id; for read-only commands. */
  readonly?: boolean;
  /** How long a write waits for another process's write lock, in ms. */
  busyTimeoutMs?: number;
}

export interface RequestRow {
  request_id: string;
  fingerprint: string;
  seq: number;
  entity_kind: string | null;
  entity_id: string | null;
}

const defaultBusyTimeoutMs = 30_000;

/** How long a writer keeps to its place in the write queue before it just polls the lock. */
const queuePatienceMs = 1_000;
/**
 * A writer that has got its turn may write again without queuing for this long: it is on a CPU now,
 * and handing the lock to a process that must first be scheduled costs more than a commit. Past it,
 * it queues behind whoever waits.
 */
const turnMs = 25;

export { serialiseState, stateHash } from "./stateHash.js";

/** A file that exists but holds no netledger log: never initialised over (a truncated log would be lost). */
function notADatabase(path: string): NetledgerError {
  const size = statSync(path).size;
  const what = size === 0 ? "is empty (0 bytes): truncated, or never a netledger database" : `holds no netledger log (${size} bytes)`;
  return corrupt(`${path} ${what}; netledger never initialises a file that exists (only a missing path becomes a new database): restore it from a copy, or name a new path`);
}

/**
 * One SQLite database: the log and its side tables. WAL, synchronous=FULL (better-sqlite3 builds WAL
 * with NORMAL, which can lose the last commits on power loss), a busy timeout, and every write in BEGIN
 * IMMEDIATE. A write may defer its fsync (`defer`): its frames are in the WAL, where a process crash
 * cannot lose them, and `durable()` puts them on disk before anyone is told of them
 * (docs/architecture.md, when a commit reaches the disk).
 */
export class Store {
  readonly db: Database.Database;
  readonly log: EventLog;
  /** What became of effects, read off the log by the seq of their intent. */
  readonly effects: EffectHistory;
  readonly databaseId: string;

  private constructor(
    readonly path: string,
    db: Database.Database,
    readonly readonly: boolean,
    private readonly busyTimeoutMs: number,
  ) {
    this.db = db;
    this.databaseId = this.getMeta("database_id") ?? "";
    this.queue = readonly || path === ":memory:" ? undefined : new WriteQueue(`${path}-writers`, queuePatienceMs);
    this.log = new EventLog(db, this.databaseId);
    this.effects = new EffectHistory(db, this.log);
  }

  /** The order writer processes take the lock in (writeQueue.ts); none for a private in-memory database. */
  private readonly queue: WriteQueue | undefined;
  /** Until when (performance.now()) this writer's turn lasts. */
  private turnUntil = 0;

  /**
   * write() waits for the lock itself (see there); reads keep SQLite's busy timeout. The pragma is
   * run afresh each time: SQLite applies busy_timeout when the statement is prepared, so re-running a
   * statement prepared once does nothing (which left every write waiting in SQLite's busy handler).
   * `exec` prepares and runs it without making a statement object: a sixth of `pragma()`'s cost, and
   * this runs twice per write.
   */
  private busyTimeout(ms: number): void {
    this.db.exec(`PRAGMA busy_timeout = ${ms}`);
  }

  /** Commits made with their fsync deferred, and how many of them are known to be on disk. */
  private deferred = 0;
  private onDisk = 0;
  /** How many fsyncs of the WAL durable() has made (tests). */
  walSyncs = 0;
  /** The WAL file, opened at the first deferred fsync; null when there is none (an in-memory database). */
  private wal: number | null | undefined;

  /** The write transaction, made once: better-sqlite3 builds a wrapper per `transaction()` call. */
  private writeTx: Database.Transaction<(inner: () => unknown) => unknown> | undefined;

  static open(path: string, opts: StoreOptions = {}): Store {
    const readonly = opts.readonly ?? false;
    if (readonly && path !== ":memory:" && !existsSync(path))
      throw new NetledgerError("NotFound", `no netledger database at ${path}`);
    // Only a missing file becomes a new database; one that exists is opened as it is or refused.
    if (!readonly && path !== ":memory:" && !existsSync(path)) createDatabase(path);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly, timeout: opts.busyTimeoutMs ?? defaultBusyTimeoutMs });
    } catch (e) {
      throw new NetledgerError("InvalidParameter", `cannot open database ${path}: ${(e as Error).message}`);
    }
    try {
      // Checked before anything is written to it (a pragma would give an empty file a header).
      if (!readonly && path !== ":memory:" && !hasLog(db)) throw notADatabase(path);
      if (!readonly) {
        db.pragma("journal_mode = WAL");
        db.pragma("synchronous = FULL");
      }
      db.pragma("foreign_keys = ON");
      if (readonly) {
        // A log made by an older netledger is readable as it is: the migrations it lacks add only
        // what writes and fast filters need, and they are applied by the next command that writes.
        if (!hasLog(db)) {
          db.close();
          throw new NetledgerError("NotFound", `${path} is not an initialised netledger database`);
        }
      } else {
        migrate(db);
        db.transaction(() => {
          if (!db.prepare("SELECT 1 FROM meta WHERE key = 'database_id'").get()) {
            db.prepare("INSERT INTO meta (key, value) VALUES ('database_id', ?), ('created_at', ?)").run(
              randomBytes(16).toString("hex"),
              new Date().toISOString(),
            );
          }
        }).immediate();
      }
    } catch (e) {
      if (db.open) db.close();
      if (e instanceof NetledgerError) throw e;
      const msg = (e as Error).message;
      if (/file is not a database|malformed/i.test(msg)) throw corrupt(`${path} is not a usable SQLite database: ${msg}`);
      throw e;
    }
    return new Store(path, db, readonly, opts.busyTimeoutMs ?? defaultBusyTimeoutMs);
  }

  close(): void {
    if (this.db.open) this.durable();
    if (typeof this.wal === "number") closeSync(this.wal);
    this.wal = undefined;
    if (this.db.open) this.db.close();
  }

  private clusterCopy: ClusterCopy | undefined;
  /** This node's copy of the cluster log (global scope). */
  get cluster(): ClusterCopy {
    return (this.clusterCopy ??= new ClusterCopy(this.db, (fn) => this.write(fn, { defer: true })));
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction: the cross-process write lock. Never across an await.
   * The lock is waited for here rather than in SQLite's busy handler: that handler sleeps 1, 2, 5, 10…
   * up to 100 ms between tries, so a waiting process keeps missing the moment between another's
   * commits and starves (two processes writing flat out got 23,000 commits against 3). Polling alone
   * is not enough on busy CPUs either (one of two writers got no commit in 5 s): the process that just
   * committed is running, the waiter may not be. So a writer that finds the lock taken, or others
   * queued, takes a ticket in the write queue and tries the lock only once those ahead of it have had
   * their turn; it leaves the queue as soon as it holds the lock.
   */
  write<T>(fn: () => T, opts: { defer?: boolean } = {}): T {
    if (this.readonly) throw new NetledgerError("Forbidden", `the database ${this.path} is open read-only`);
    if (!opts.defer) {
      const r = this.writeLocked(fn);
      // A durable commit's fsync put every earlier frame of the WAL on disk too.
      this.onDisk = this.deferred;
      return r;
    }
    this.db.exec("PRAGMA synchronous = NORMAL");
    try {
      const r = this.writeLocked(fn);
      this.deferred++;
      return r;
    } finally {
      this.db.exec("PRAGMA synchronous = FULL");
    }
  }

  /**
   * Puts every commit this store has made on disk: one fsync of the WAL, which also covers every
   * earlier frame; nothing when nothing deferred is waiting. In-line: off the event loop it would cost
   * a hop to the thread pool and back for every answer, and the callers waiting for it have nothing
   * else to do meanwhile (64 callers in one process find one fsync made for all of them).
   */
  durable(): void {
    if (this.onDisk >= this.deferred) return;
    const fd = this.walFd();
    if (fd !== null) {
      this.walSyncs++;
      fsyncSync(fd);
    }
    this.onDisk = this.deferred;
  }

  private walFd(): number | null {
    if (this.wal !== undefined) return this.wal;
    try {
      this.wal = this.path === ":memory:" ? null : openSync(`${this.path}-wal`, "r");
    } catch (e) {
      // No WAL beside the file: not in WAL mode, where NORMAL still syncs each commit.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.wal = null;
    }
    return this.wal;
  }

  private writeLocked<T>(fn: () => T): T {
    const queue = this.queue;
    const tx = (this.writeTx ??= this.db.transaction((inner: () => unknown) => {
      queue?.leave();
      const now = performance.now();
      if (now > this.turnUntil) this.turnUntil = now + turnMs;
      return inner();
    }));
    let deadline: number | undefined;
    this.busyTimeout(0);
    try {
      if (performance.now() > this.turnUntil && queue?.othersQueued()) queue.waitTurn();
      for (;;) {
        try {
          return tx.immediate(fn) as T;
        } catch (e) {
          // BUSY is only ever raised by BEGIN IMMEDIATE here (in WAL, commit does not wait on readers), so fn has not run.
          if ((e as { code?: string }).code !== "SQLITE_BUSY") throw e;
          deadline ??= performance.now() + this.busyTimeoutMs;
          if (performance.now() > deadline)
            throw new NetledgerError("Timeout", `the database ${this.path} stayed locked by another writer for ${this.busyTimeoutMs} ms`);
          queue?.waitTurn();
          // Polling every 50–300 µs, with jitter so that two waiters do not march in step.
          sleepSync(0.05 + Math.random() * 0.25);
        }
      }
    } finally {
      queue?.leave();
      this.busyTimeout(this.busyTimeoutMs);
    }
  }

  latestSnapshot(reducerVersion: number, atOrBefore?: number): SnapshotRow | undefined {
    return this.db
      .prepare(
        `SELECT * FROM snapshots WHERE reducer_version = ?${atOrBefore !== undefined ? " AND seq <= ?" : ""} ORDER BY seq DESC LIMIT 1`,
      )
      .get(...(atOrBefore !== undefined ? [reducerVersion, atOrBefore] : [reducerVersion])) as SnapshotRow | undefined;
  }

  /**
   * The state of the latest snapshot of this reducer version (at or before a seq), checked against its
   * hash and shape (snapshots.ts); a snapshot that fails is a Corrupt error naming its seq.
   */
  latestSnapshotState(reducerVersion: number, atOrBefore?: number): { seq: number; state: State } | undefined {
    const row = this.latestSnapshot(reducerVersion, atOrBefore);
    return row && { seq: row.seq, state: snapshotState(row) };
  }

  /** The seq of the latest snapshot of this reducer version, without reading its state. */
  latestSnapshotSeq(reducerVersion: number): number | undefined {
    const r = this.db.prepare("SELECT max(seq) AS seq FROM snapshots WHERE reducer_version = ?").get(reducerVersion) as { seq: number | null };
    return r.seq ?? undefined;
  }

  snapshots(): SnapshotRow[] {
    return this.db.prepare("SELECT * FROM snapshots ORDER BY seq").all() as SnapshotRow[];
  }

  saveSnapshot(seq: number, reducerVersion: number, json: string, hash: string): void {
    this.write(() => {
      this.db
        .prepare("INSERT OR REPLACE INTO snapshots (seq, reducer_version, state, state_hash, created_at) VALUES (?,?,?,?,?)")
        .run(seq, reducerVersion, json, hash, new Date().toISOString());
    });
  }

  /** SQLite's own check of the file (PRAGMA integrity_check): its complaints, none when the file is whole. */
  integrityProblems(): string[] {
    const rows = this.db.pragma("integrity_check(20)") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).filter((m) => m !== "ok");
  }

  /** Every recorded request, in the order of the seq it points at. */
  requests(): IterableIterator<RequestRow> {
    return this.db.prepare("SELECT * FROM requests ORDER BY seq").iterate() as IterableIterator<RequestRow>;
  }

  /**
   * The streams of the events from `seq` on, while they carry `requestId`: one command's events.
   * `gapped` when a seq is missing inside the run or right after it: events of the command may have
   * been removed, so what the run names is not all the command named.
   */
  commandStreams(seq: number, requestId: string): { streams: string[]; gapped: boolean } {
    const streams: string[] = [];
    let next = seq;
    for (const r of this.db.prepare("SELECT seq, stream, request_id FROM events WHERE seq >= ? ORDER BY seq").iterate(seq) as IterableIterator<{
      seq: number;
      stream: string;
      request_id: string | null;
    }>) {
      if (r.seq !== next) return { streams, gapped: true };
      if (r.request_id !== requestId) break;
      streams.push(r.stream);
      next++;
    }
    return { streams, gapped: false };
  }

  /**
   * The last seq of what a request's command did: its own events, and those of the effects it rooted
   * (outcomes, compensations, continuations, which carry their effect as causation). The state there
   * is what its first run answered with. Undefined when the request is not recorded.
   */
  requestSettledSeq(requestId: string): number | undefined {
    const first = this.request(requestId)?.seq;
    if (first === undefined) return undefined;
    const r = this.db
      .prepare(
        `SELECT max(seq) AS seq FROM events WHERE seq >= @first AND (request_id = @req OR causation IN
           (SELECT seq FROM events WHERE seq >= @first AND type = 'effect.requested' AND json_extract(data, '$.root') = @req))`,
      )
      .get({ first, req: requestId }) as { seq: number | null };
    return r.seq ?? first;
  }

  request(requestId: string): RequestRow | undefined {
    return this.db.prepare("SELECT * FROM requests WHERE request_id = ?").get(requestId) as RequestRow | undefined;
  }

  /** Call inside a write transaction, with the command's events. */
  recordRequest(r: RequestRow): void {
    this.db
      .prepare("INSERT INTO requests (request_id, fingerprint, seq, entity_kind, entity_id) VALUES (?,?,?,?,?)")
      .run(r.request_id, r.fingerprint, r.seq, r.entity_kind, r.entity_id);
  }
}
