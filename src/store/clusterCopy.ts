import type Database from "better-sqlite3";
import { corrupt } from "../domain/errors.js";
import { chainHash, genesisHash } from "./hashChain.js";

/** A record of the cluster log as etcd holds it (src/cluster/records.ts) and as the copy stores it. */
export interface ClusterCopyRow {
  seq: number;
  id: string;
  stream: string;
  type: string;
  version: number;
  data: string;
  meta: string;
  hash: string;
}

export interface ClusterBase {
  seq: number;
  hash: string;
  /** Canonical JSON of the global part at `seq`. */
  state: string;
}

/**
 * This node's copy of the cluster log in its own SQLite file (migration 0004): rows appended in seq
 * order after the base, never changed. A node that starts again from a later snapshot moves the base
 * there; the rows before it stay, no longer read. Two processes on one database may both copy a record: a row
 * already there must be the same record, or the copy is Corrupt.
 */
export class ClusterCopy {
  constructor(
    private readonly db: Database.Database,
    private readonly write: <T>(fn: () => T) => T,
  ) {}

  /** Whether the database has the copy's tables (a read-only open of a database older than migration 0004 has not). */
  present(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cluster_log'").get() !== undefined;
  }

  base(): ClusterBase | undefined {
    return this.db.prepare("SELECT seq, hash, state FROM cluster_base WHERE one = 1").get() as ClusterBase | undefined;
  }

  head(): { seq: number; hash: string } {
    const last = this.db.prepare("SELECT seq, hash FROM cluster_log ORDER BY seq DESC LIMIT 1").get() as { seq: number; hash: string } | undefined;
    const base = this.base();
    if (base && (!last || last.seq < base.seq)) return { seq: base.seq, hash: base.hash };
    return last ?? { seq: 0, hash: genesisHash };
  }

  /** The rows after the base, in order: what the node folds on from the base. */
  rows(): IterableIterator<ClusterCopyRow> {
    return this.db
      .prepare("SELECT seq, id, stream, type, version, data, meta, hash FROM cluster_log WHERE seq > ? ORDER BY seq")
      .iterate(this.base()?.seq ?? 0) as IterableIterator<ClusterCopyRow>;
  }

  /**
   * Appends records that follow the copy's head (a base first, for a copy that starts at a snapshot).
   * A copy of what etcd holds: the store's `write` here defers the fsync (store.ts), and the next
   * durable() puts it on disk in WAL order; a crash before that loses only the copy's tail, which the
   * node folds again from etcd.
   */
  append(rows: readonly ClusterCopyRow[], base?: ClusterBase): void {
    this.write(() => {
      if (base && base.seq > this.head().seq) {
        // A snapshot past the copy's head: a new copy, or a node that was away while etcd trimmed the
        // records it lacked (src/cluster/snapshots.ts). The copy goes on from there; its rows before
        // the base stay (append-only) as history that is no longer folded.
        this.db.prepare("DELETE FROM cluster_base").run();
        this.db.prepare("INSERT INTO cluster_base (one, seq, hash, state) VALUES (1, ?, ?, ?)").run(base.seq, base.hash, base.state);
      }
      const insert = this.db.prepare(
        "INSERT INTO cluster_log (seq, id, stream, type, version, data, meta, hash) VALUES (@seq, @id, @stream, @type, @version, @data, @meta, @hash) ON CONFLICT(seq) DO NOTHING",
      );
      let head = this.head();
      for (const r of rows) {
        if (r.seq <= head.seq) {
          const had = this.db.prepare("SELECT hash FROM cluster_log WHERE seq = ?").get(r.seq) as { hash: string } | undefined;
          if (had && had.hash !== r.hash) throw corrupt(`the copy of the cluster log holds another record at seq ${r.seq}`);
          continue;
        }
        if (r.seq !== head.seq + 1) throw corrupt(`the copy of the cluster log would skip from seq ${head.seq} to ${r.seq}`);
        insert.run(r);
        head = { seq: r.seq, hash: r.hash };
      }
    });
  }

  /** The chain of the copy checked from its base: the first seq that fails, or null. */
  verifyChain(): { seq: number; hash: string; firstBad: number | null } {
    const base = this.base();
    let prev = base?.hash ?? genesisHash;
    let seq = base?.seq ?? 0;
    for (const r of this.rows()) {
      if (r.seq !== seq + 1 || chainHash(prev, r) !== r.hash) return { seq, hash: prev, firstBad: r.seq };
      prev = r.hash;
      seq = r.seq;
    }
    return { seq, hash: prev, firstBad: null };
  }
}
