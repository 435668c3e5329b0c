import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../../../src/store/migrations.js";
import { Store } from "../../../src/store/store.js";
import { EventLog } from "../../../src/store/eventLog.js";
import { fixtureStore } from "../../helpers/fixtureStore.js";
import { opsLogPath, readSteps } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";
import { genesisHash } from "../../../src/store/hashChain.js";
import { keyBatch, keyMismatches } from "../../../src/store/eventKeys.js";

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

  it("reads type, actor, time and stream filters through the indexes of event_keys (migration 5), and the events table by seq only", () => {
    const store = fixtureStore();
    const plan = (sql: string, ...args: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join("; ");
    const planOf = (f: Parameters<typeof store.log.where>[0]) => {
      const { where, args } = store.log.where(f);
      return plan(`SELECT * FROM events${where} ORDER BY seq`, ...args);
    };
    expect(planOf({ type: "network" })).toContain("event_keys_by_type");
    expect(planOf({ actor: "bob" })).toContain("event_keys_by_actor");
    expect(planOf({ stream: "n1" })).toContain("event_keys_by_stream");
    expect(plan("SELECT seq FROM event_keys WHERE time >= ?", "2024")).toContain("event_keys_by_time");
    // The unkeyed tail is a range of the table's rowid, never a scan of the whole log.
    expect(planOf({ actor: "bob" })).not.toMatch(/SCAN events(?! USING)/);
    const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().all();
    expect(indexes).toEqual([]);
  });

  it("finds events of the unkeyed tail and of the keys alike, and keys the tail once it is a batch long", () => {
    const store = Store.open(tempDb());
    try {
      const [step] = readSteps(opsLogPath);
      const append = (n: number) => {
        for (let i = 0; i < n; i++)
          store.write(() => {
            const head = store.log.head();
            store.log.insert(store.log.seal(head, step!.events, { ...step!.meta, actor: `a${head.seq}` }));
          });
      };
      const perStep = step!.events.length;
      const keyed = () => store.db.prepare("SELECT count(*) FROM event_keys").pluck().get() as number;
      append(1);
      expect(keyed()).toBe(0);
      expect([...store.log.rows({ actor: "a0" })].map((r) => r.seq)).toEqual(Array.from({ length: perStep }, (_, i) => i + 1));
      append(Math.ceil(keyBatch / perStep));
      const k = keyed();
      expect(k).toBeGreaterThanOrEqual(keyBatch);
      // One keyed actor and one in the tail, found the same way.
      expect([...store.log.rows({ actor: "a0" }, 1)][0]?.seq).toBe(1);
      append(1);
      const last = store.log.head().seq;
      expect(last).toBeGreaterThan(k);
      expect(store.log.firstOf(store.log.rowAt(last)!.stream)?.seq).toBe(1);
      expect(store.log.lastSeqOf(store.log.rowAt(1)!.stream)).toBe(last);
      expect(store.log.lastRows({ actor: `a${last - perStep}` }, 1)[0]?.seq).toBe(last);
      expect(store.log.seqAtOrBefore("9999")).toBe(last);
      expect(store.log.seqAtOrAfter("0000")).toBe(1);
      expect(keyMismatches(store.db, 5)).toEqual([]);
    } finally {
      store.close();
    }
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
