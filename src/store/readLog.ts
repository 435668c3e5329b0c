import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { corrupt, NetledgerError } from "../domain/errors.js";
import type { State } from "../domain/state.js";
import type { EventRow, Head } from "./eventLog.js";
import { genesisHash } from "./hashChain.js";
import { hasLog } from "./migrations.js";
import { type SnapshotRow, snapshotState } from "./snapshots.js";

/** What loading a state and checking the log's tail read (loadState.ts, tailCheck.ts): a Store has it, and so has a ReadLog. */
export interface ReadableLog {
  readonly readonly: boolean;
  readonly databaseId: string;
  readonly log: {
    head(): Head;
    hashAt(seq: number): string | undefined;
    rowsAfter(seq: number): IterableIterator<EventRow>;
    maxRequestSeq(): number | undefined;
  };
  latestSnapshot(reducerVersion: number, atOrBefore?: number): SnapshotRow | undefined;
  latestSnapshotState(reducerVersion: number, atOrBefore?: number): { seq: number; state: State } | undefined;
}

/**
 * The log opened read-only for the quick read path (src/api/read.ts): the head, the latest snapshot
 * and the rows after it, and nothing else. Unlike a Store it does not load the event schemas (zod)
 * nor the write path: a read command on a log whose snapshot is at the head answers from the snapshot
 * alone, and one with a tail loads the fold (and the schemas) only then. Opening refuses what a
 * read-only Store refuses, with the same errors.
 */
export class ReadLog implements ReadableLog {
  readonly readonly = true;
  readonly databaseId: string;
  readonly log: ReadableLog["log"];

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    const meta = db.prepare("SELECT value FROM meta WHERE key = 'database_id'").get() as { value: string } | undefined;
    this.databaseId = meta?.value ?? "";
    const head = db.prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    const from = db.prepare("SELECT * FROM events WHERE seq > ? ORDER BY seq");
    const hashAt = db.prepare("SELECT hash FROM events WHERE seq = ?");
    const maxRequest = db.prepare("SELECT max(seq) AS seq FROM requests");
    this.log = {
      head: () => (head.get() as Head | undefined) ?? { seq: 0, hash: genesisHash },
      hashAt: (seq) => (seq === 0 ? genesisHash : (hashAt.get(seq) as { hash: string } | undefined)?.hash),
      rowsAfter: (seq) => from.iterate(seq) as IterableIterator<EventRow>,
      maxRequestSeq: () => (maxRequest.get() as { seq: number | null }).seq ?? undefined,
    };
  }

  static open(path: string): ReadLog {
    if (path !== ":memory:" && !existsSync(path)) throw new NetledgerError("NotFound", `no netledger database at ${path}`);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, timeout: 30_000 });
    } catch (e) {
      throw new NetledgerError("InvalidParameter", `cannot open database ${path}: ${(e as Error).message}`);
    }
    try {
      if (!hasLog(db)) throw new NetledgerError("NotFound", `${path} is not an initialised netledger database`);
      return new ReadLog(path, db);
    } catch (e) {
      db.close();
      if (e instanceof NetledgerError) throw e;
      const msg = (e as Error).message;
      if (/file is not a database|malformed/i.test(msg)) throw corrupt(`${path} is not a usable SQLite database: ${msg}`);
      throw e;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  latestSnapshot(reducerVersion: number, atOrBefore?: number): SnapshotRow | undefined {
    const sql = `SELECT * FROM snapshots WHERE reducer_version = ?${atOrBefore !== undefined ? " AND seq <= ?" : ""} ORDER BY seq DESC LIMIT 1`;
    return this.db.prepare(sql).get(...(atOrBefore !== undefined ? [reducerVersion, atOrBefore] : [reducerVersion])) as SnapshotRow | undefined;
  }

  latestSnapshotState(reducerVersion: number, atOrBefore?: number): { seq: number; state: State } | undefined {
    const row = this.latestSnapshot(reducerVersion, atOrBefore);
    return row && { seq: row.seq, state: snapshotState(row) };
  }
}
