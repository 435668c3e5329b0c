import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../../../src/store/migrations.js";
import { Store } from "../../../src/store/store.js";
import { EventLog } from "../../../src/store/eventLog.js";
import { fixtureStore } from "../../helpers/fixtureStore.js";
import { opsLogPath, readSteps } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";
import { genesisHash } from "../../../src/store/hashChain.js";

describe("EventLog filters", () => {
  it("takes a family as every type of it and no other, and an exact type as itself", () => {
    const store = fixtureStore();
    const types = (type: string) => [...new Set([...store.log.rows({ type })].map((r) => r.type))].sort();
    expect(types("effect")).toEqual(["effect.failed", "effect.requested", "effect.succeeded"]);
    expect(types("endpoint.left")).toEqual(["endpoint.left"]);
    expect(types("endpoin")).toEqual([]);
    expect(store.log.hasType("sandbox")).toBe(true);
    expect(store.log.hasType("sandbox.moved")).toBe(false);
  });

  it("takes several streams at once, and the last N rows in order", () => {
    const store = fixtureStore();
    const scratch = store.log.rowsWithValue(["network.created"], ["$.name"], "scratch").map((r) => r.stream);
    expect([...store.log.rows({ stream: scratch })].map((r) => r.seq)).toEqual([14, 15, 16]);
    expect(store.log.lastRows({ actor: "alice" }, 2).map((r) => r.seq)).toEqual([15, 16]);
    expect([...store.log.rows({ since: 5, until: 7 })].map((r) => r.seq)).toEqual([5, 6, 7]);
  });

  it("uses the indexes of migration 2 for type, actor and time filters", () => {
    const store = fixtureStore();
    const plan = (sql: string, ...args: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join("; ");
    expect(plan("SELECT * FROM events WHERE type >= ? AND type < ? ORDER BY seq", "network.", "network/")).toContain("events_by_type");
    expect(plan("SELECT * FROM events WHERE actor = ? ORDER BY seq", "bob")).toContain("events_by_actor");
    expect(plan("SELECT seq FROM events WHERE time >= ? ORDER BY seq LIMIT 1", "2024")).toContain("events_by_time");
  });
});

describe("a database made by an older netledger", () => {
  it("is read as it is, and brought up to date by the next write", () => {
    const db = tempDb();
    // The log of migration 1 only, as the first netledger made it, with a command in it.
    const raw = new Database(db);
    migrate(raw, loadMigrations().slice(0, 1));
    // Sealed by today's code, inserted with the columns migration 1 had (no labels yet).
    const [step] = readSteps(opsLogPath);
    const today = new Database(":memory:");
    migrate(today);
    const sealed = new EventLog(today).seal({ seq: 0, hash: genesisHash }, step!.events, step!.meta);
    const insert = raw.prepare("INSERT INTO events (seq, stream, type, version, data, actor, time, request_id, causation, hash) VALUES (?,?,?,?,?,?,?,?,?,?)");
    raw.transaction(() => {
      for (const e of sealed)
        insert.run(e.seq, e.stream, e.type, e.version, JSON.stringify(e.data), e.meta.actor, e.meta.time, e.meta.requestId ?? null, e.meta.causation ?? null, e.hash);
    })();
    raw.close();

    const reader = Store.open(db, { readonly: true });
    try {
      expect([...reader.log.rows({ type: "driver" })].map((r) => r.type)).toEqual(["driver.configured"]);
    } finally {
      reader.close();
    }

    const writer = Store.open(db);
    try {
      const applied = writer.db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[];
      expect(applied.map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version));
    } finally {
      writer.close();
    }
  });
});
