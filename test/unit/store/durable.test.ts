import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../../../src/store/store.js";
import { tempDb } from "../../helpers/tmp.js";

const opened: Store[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function open(path = tempDb()): Store {
  const s = Store.open(path);
  opened.push(s);
  return s;
}

const put = (s: Store, key: string) => () => s.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'v')").run(key);

describe("when a commit reaches the disk", () => {
  it("defers a deferred commit's fsync until durable() is asked, and makes one fsync for all who ask together", async () => {
    const s = open();
    const before = s.walSyncs;
    s.write(put(s, "a"), { defer: true });
    s.write(put(s, "b"), { defer: true });
    expect(s.walSyncs).toBe(before);
    await Promise.all([s.durable(), s.durable(), s.durable()]);
    expect(s.walSyncs).toBe(before + 1);
    // Nothing new since: nothing to sync.
    await s.durable();
    expect(s.walSyncs).toBe(before + 1);
  });

  it("asks for another fsync for a commit made while one is running", async () => {
    const s = open();
    s.write(put(s, "a"), { defer: true });
    const first = s.durable();
    s.write(put(s, "b"), { defer: true });
    const second = s.durable();
    await Promise.all([first, second]);
    expect(s.walSyncs).toBe(2);
  });

  it("counts a durable commit as putting the deferred ones before it on disk", async () => {
    const s = open();
    s.write(put(s, "a"), { defer: true });
    s.write(put(s, "b"));
    await s.durable();
    expect(s.walSyncs).toBe(0);
  });

  it("syncs in-line when asked to, and then has nothing left for durable()", async () => {
    const s = open();
    s.write(put(s, "a"), { defer: true });
    s.durableNow();
    expect(s.walSyncs).toBe(1);
    await s.durable();
    s.durableNow();
    expect(s.walSyncs).toBe(1);
  });

  it("keeps every commit for other readers at once, deferred or not, and makes the connection durable again after", () => {
    const path = tempDb();
    const s = open(path);
    s.write(put(s, "deferred"), { defer: true });
    const other = new Database(path, { readonly: true });
    try {
      expect(other.prepare("SELECT value FROM meta WHERE key = 'deferred'").get()).toEqual({ value: "v" });
    } finally {
      other.close();
    }
    expect(s.db.pragma("synchronous", { simple: true })).toBe(2); // FULL
  });

  it("keeps what was deferred when it closes", () => {
    const path = tempDb();
    const s = Store.open(path);
    s.write(put(s, "a"), { defer: true });
    s.close();
    const again = open(path);
    expect(again.getMeta("a")).toBe("v");
  });
});
