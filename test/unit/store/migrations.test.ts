import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations, migrate, migrationsDir } from "../../../src/store/migrations.js";
import { Store } from "../../../src/store/store.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

describe("migrations", () => {
  it("are applied at open in order and recorded with their checksum", () => {
    const path = tempDb();
    Store.open(path).close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version").all();
    db.close();
    expect(rows).toEqual(loadMigrations().map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })));
  });

  it("refuses a database whose applied migration was edited afterwards", () => {
    const dir = tempDir();
    const copy = join(dir, "migrations");
    mkdirSync(copy);
    for (const m of loadMigrations()) writeFileSync(join(copy, `${String(m.version).padStart(4, "0")}_${m.name}.sql`), m.sql);
    const path = join(dir, "db.sqlite");
    const db = new Database(path);
    migrate(db, loadMigrations(pathToFileURL(copy + "/")));
    const first = loadMigrations(pathToFileURL(copy + "/"))[0]!;
    writeFileSync(join(copy, `0001_${first.name}.sql`), first.sql + "\n-- edited\n");
    expect(() => migrate(db, loadMigrations(pathToFileURL(copy + "/")))).toThrow(/migration 1 \(log\) differs from the one applied/);
    db.close();
  });

  it("refuses a database made by a newer netledger", () => {
    const path = tempDb();
    Store.open(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x', 'now')").run();
    db.close();
    expect(() => Store.open(path)).toThrow(/migration 999 \(future\) that this netledger does not know/);
  });

  it("keeps every migration file numbered and applied by the loader", () => {
    const files = loadMigrations(migrationsDir);
    expect(files.map((m) => m.version)).toEqual(files.map((_, i) => i + 1));
    expect(readFileSync(new URL("0001_log.sql", migrationsDir), "utf8")).toContain("CREATE TRIGGER events_append_only_update");
  });
});

describe("the store", () => {
  it("runs with WAL and synchronous=FULL, so a commit is durable before a driver call is made", () => {
    const s = Store.open(tempDb());
    expect(s.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(s.db.pragma("synchronous", { simple: true })).toBe(2);
    expect(s.databaseId).toMatch(/^[0-9a-f]{32}$/);
    s.close();
  });

  it("says clearly when a file is not a netledger database", () => {
    const path = join(tempDir(), "junk.db");
    writeFileSync(path, "this is not sqlite at all, just text that is long enough to be a header".repeat(20));
    expect(() => Store.open(path)).toThrow(/is not a usable SQLite database/);
    expect(() => Store.open(join(tempDir(), "missing.db"), { readonly: true })).toThrow(/no netledger database at/);
  });
});
