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
  it("defers a deferred commit's fsync until durable() is asked, and makes one for all the commits before it", () => {
    const s = open();
    s.write(put(s, "a"), { defer: true });
    s.write(put(s, "b"), { defer: true });
    expect(s.walSyncs).toBe(0);
    s.durable();
    expect(s.walSyncs).toBe(1);
    // Nothing new since: nothing to sync.
    s.durable();
    expect(s.walSyncs).toBe(1);
    s.write(put(s, "c"), { defer: true });
    s.durable();
    expect(s.walSyncs).toBe(2);
  });

  it("counts a durable commit as putting the deferred ones before it on disk", () => {
    const s = open();
    s.write(put(s, "a"), { defer: true });
    s.write(put(s, "b"));
    s.durable();
    expect(s.walSyncs).toBe(0);
  });

  it("shows every commit to other readers at once, deferred or not, and makes the connection durable again after", () => {
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
