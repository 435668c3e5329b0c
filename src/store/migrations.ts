import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type Database from "better-sqlite3";
import { corrupt } from "../domain/errors.js";

/** migrations/ beside src/ and dist/ alike. */
export const migrationsDir = new URL("../../migrations/", import.meta.url);

interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir: URL = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(new URL(f, dir), "utf8");
      return {
        version: Number(f.slice(0, 4)),
        name: f.slice(5, -4),
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    });
}

/**
 * Applies the numbered migrations not yet applied, each in its own IMMEDIATE transaction, and refuses a
 * database whose applied migrations do not match the files (an edited migration, or a newer netledger).
 */
export function migrate(db: Database.Database, migrations = loadMigrations()): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
  const applied = new Map(
    (db.prepare("SELECT version, name, checksum FROM schema_migrations").all() as Migration[]).map((m) => [m.version, m]),
  );
  for (const [version, row] of applied) {
    const m = migrations.find((x) => x.version === version);
    if (!m)
      throw corrupt(`the database has migration ${version} (${row.name}) that this netledger does not know: it was made by a newer version`);
    if (m.checksum !== row.checksum)
      throw corrupt(`migration ${version} (${m.name}) differs from the one applied to this database; migrations must never be edited`);
  }
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      if (db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(m.version)) return; // another process won
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)").run(
        m.version,
        m.name,
        m.checksum,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

/** Whether the database has the event log (migration 1) at least: enough for reading. */
export function hasLog(db: Database.Database): boolean {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  return hasTable !== undefined && db.prepare("SELECT 1 FROM schema_migrations WHERE version = 1").get() !== undefined;
}
