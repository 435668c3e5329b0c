import { randomBytes } from "node:crypto";
import { closeSync, linkSync, mkdirSync, openSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.js";

/**
 * Makes a new database at `path`, which must not exist, all at once: it is built under a temporary name
 * beside it (schema, database id) and then linked into place, which fails if another process made one
 * first. So a path that exists is always a whole database or not one at all, and opening never has to
 * guess whether an empty file is one being made or one that was truncated (docs/architecture.md, the
 * log). The file is created 0600 (SQLite gives its -wal and -shm the database's mode) and the
 * directories made for it 0700: the log is an audit trail no other local user should read.
 */
export function createDatabase(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString("hex")}`;
  closeSync(openSync(tmp, "wx", 0o600));
  try {
    const db = new Database(tmp);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      migrate(db);
      db.prepare("INSERT INTO meta (key, value) VALUES ('database_id', ?), ('created_at', ?)").run(
        randomBytes(16).toString("hex"),
        new Date().toISOString(),
      );
    } finally {
      db.close(); // checkpoints and removes the temporary -wal and -shm
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // another process made it first: use theirs
    }
  } finally {
    unlinkSync(tmp);
  }
}
