import type Database from "better-sqlite3";

/**
 * The keys the log is searched by — stream, type, actor, time — kept in `event_keys` (migration 0005)
 * rather than in indexes on `events`. An index on `events` is updated inside the command's own commit,
 * one leaf page per index, so a one-event command wrote five pages to the WAL where the floor (one
 * durable row) writes one, and every page is fsynced on the command's path. The keys are instead
 * copied for a whole batch of events at once, in the write transaction that makes the unkeyed tail
 * `keyBatch` long; a query reads the indexed keys up to their highest seq and scans the tail after it,
 * which is never longer than a batch (less one). The copy is derived data: verify checks it.
 */
export const keyBatch = 256;

/** The highest keyed seq, as an SQL scalar: the unkeyed tail is every event after it. */
const keyedUpTo = "(SELECT coalesce(max(seq), 0) FROM event_keys)";

/** Whether the database has the keys table (a log of an older netledger, opened read-only, may not). */
export function hasEventKeys(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_keys'").get() !== undefined;
}

/**
 * The seqs of the events whose keys match `terms` (SQL over the columns seq, stream, type, actor and
 * time, which both tables have under the same names): the keyed ones through the indexes, the tail by
 * a scan of its rows. The args are given twice, once for each half.
 */
export function matchingSeqs(terms: string, args: readonly (string | number)[]): { sql: string; args: (string | number)[] } {
  return {
    sql: `SELECT seq FROM event_keys WHERE ${terms} UNION ALL SELECT seq FROM events WHERE seq > ${keyedUpTo} AND ${terms}`,
    args: [...args, ...args],
  };
}

/** The same, for the distinct streams whose keys match (the streams an id prefix names). */
export function matchingStreams(terms: string, args: readonly (string | number)[]): { sql: string; args: (string | number)[] } {
  return {
    sql: `SELECT stream FROM event_keys WHERE ${terms} UNION SELECT stream FROM events WHERE seq > ${keyedUpTo} AND ${terms}`,
    args: [...args, ...args],
  };
}

/** Copies the keys of the unkeyed tail once it is a batch long. Call inside the write transaction that appended to it. */
export class TailKeys {
  private readonly upTo: Database.Statement;
  private readonly copy: Database.Statement;
  /**
   * A lower bound of the highest keyed seq (keys only grow, and other processes may add some): while
   * the tail after it is shorter than a batch, the real tail is too, and the table is not asked.
   */
  private keyedAtLeast = 0;

  constructor(db: Database.Database) {
    this.upTo = db.prepare(`SELECT ${keyedUpTo} AS seq`).pluck();
    this.copy = db.prepare("INSERT INTO event_keys (seq, stream, type, actor, time) SELECT seq, stream, type, actor, time FROM events WHERE seq > ?");
  }

  afterAppend(head: number): void {
    if (head - this.keyedAtLeast < keyBatch) return;
    const keyed = this.upTo.get() as number;
    this.keyedAtLeast = keyed;
    if (head - keyed < keyBatch) return;
    // Not raised to `head`: this transaction may still roll back. The next commit asks once more.
    this.copy.run(keyed);
  }
}

/** A row of event_keys that does not match the log: its keys differ, it names no event, or an event before the last key has none. */
export interface KeyMismatch {
  seq: number;
  what: "differs" | "orphan" | "missing";
}

/** What verify reports of event_keys: at most `limit` mismatches, in seq order. */
export function keyMismatches(db: Database.Database, limit: number): KeyMismatch[] {
  if (!hasEventKeys(db)) return [];
  const wrong = db
    .prepare(
      `SELECT k.seq, e.seq IS NULL AS orphan FROM event_keys k LEFT JOIN events e ON e.seq = k.seq
        WHERE e.seq IS NULL OR e.stream IS NOT k.stream OR e.type IS NOT k.type OR e.actor IS NOT k.actor OR e.time IS NOT k.time
        ORDER BY k.seq LIMIT ?`,
    )
    .all(limit) as { seq: number; orphan: number }[];
  const missing = db
    .prepare(`SELECT e.seq FROM events e LEFT JOIN event_keys k ON k.seq = e.seq WHERE e.seq <= ${keyedUpTo} AND k.seq IS NULL ORDER BY e.seq LIMIT ?`)
    .pluck()
    .all(limit) as number[];
  return [
    ...wrong.map((r): KeyMismatch => ({ seq: r.seq, what: r.orphan ? "orphan" : "differs" })),
    ...missing.map((seq): KeyMismatch => ({ seq, what: "missing" })),
  ]
    .sort((a, b) => a.seq - b.seq)
    .slice(0, limit);
}
