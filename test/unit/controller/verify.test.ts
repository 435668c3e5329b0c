import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/controller.js";
import { loadState } from "../../../src/controller/loadState.js";
import { EventLog } from "../../../src/store/eventLog.js";
import { migrate } from "../../../src/store/migrations.js";
import { checkTail } from "../../../src/store/tailCheck.js";
import { parseExpectedHead, verifyStore } from "../../../src/controller/verify.js";
import { genesisHash } from "../../../src/store/hashChain.js";
import { Store } from "../../../src/store/store.js";
import { appendSteps, opsLogPath, readSteps } from "../../helpers/logBuilder.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

describe("verifyStore with an expected head", () => {
  it("finds the head of an empty log in every chain", () => {
    const store = Store.open(tempDb());
    try {
      expect(verifyStore(store, { expectHead: `0:${genesisHash}` })).toMatchObject({ ok: true, problems: [] });
      appendSteps(store, readSteps(opsLogPath).slice(0, 3));
      expect(verifyStore(store, { expectHead: `0:${genesisHash}` })).toMatchObject({ ok: true, events: 4 });
    } finally {
      store.close();
    }
  });

  it("names what is wrong with a head it cannot read", () => {
    expect(() => parseExpectedHead("26:xyz")).toThrow('invalid head "26:xyz": expected a 64-hex hash, or SEQ:HASH as "netledger head" prints');
  });
});

describe("verifyStore on a log made before the database id was bound into the chain", () => {
  it("still verifies it, and names its event 1 only when that row was changed", () => {
    const db = tempDb();
    const raw = new Database(db);
    migrate(raw);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('database_id', 'abc'), ('created_at', 'then')").run();
    // An older netledger chained event 1 from the zero genesis, whatever the database id.
    const old = new EventLog(raw);
    const steps = readSteps(opsLogPath).slice(0, 3);
    raw.transaction(() => {
      for (const step of steps) old.insert(old.seal(old.head(), step.events, step.meta));
    })();
    raw.close();

    const store = Store.open(db);
    try {
      expect(verifyStore(store)).toMatchObject({ ok: true, problems: [] });
      expect(checkTail(store)).toBeUndefined();
      // New events chain on as before.
      appendSteps(store, readSteps(opsLogPath).slice(3, 5), loadState(store).state);
      expect(verifyStore(store)).toMatchObject({ ok: true });
      store.db.exec("DROP TRIGGER events_append_only_update; UPDATE events SET actor = 'mallory' WHERE seq = 1");
      expect(verifyStore(store).problems).toEqual([
        { seq: 1, kind: "genesis", message: "event 1 (driver.configured) does not chain from this database's id (abc in meta): the meta row or event 1 was changed" },
      ]);
      expect(checkTail(store)?.seq).toBe(1);
    } finally {
      store.close();
    }
  });
});

describe("verifyStore on the search keys (event_keys)", () => {
  it("names a key changed, a key for an event the log lacks, and an event left without keys", () => {
    const store = Store.open(tempDb());
    try {
      appendSteps(store, readSteps(opsLogPath).slice(0, 5));
      // Key everything: the tail is keyed only once it is a batch long.
      store.db.exec("INSERT INTO event_keys (seq, stream, type, actor, time) SELECT seq, stream, type, actor, time FROM events");
      expect(verifyStore(store)).toMatchObject({ ok: true, problems: [] });
      const head = store.log.head().seq;
      store.db.exec("DROP TRIGGER event_keys_append_only_update; DROP TRIGGER event_keys_append_only_delete");
      store.db.prepare("UPDATE event_keys SET actor = 'mallory' WHERE seq = 2").run();
      store.db.prepare("DELETE FROM event_keys WHERE seq = 3").run();
      store.db.prepare("INSERT INTO event_keys (seq, stream, type, actor, time) VALUES (?, 's', 't', 'a', 'now')").run(head + 1);
      const r = verifyStore(store);
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([
        [2, "keys"],
        [3, "keys"],
        [head + 1, "keys"],
      ]);
      expect(r.problems[0]!.message).toContain("differ from the event");
      expect(r.problems[1]!.message).toContain("has no search keys");
      expect(r.problems[2]!.message).toContain("which the log does not have");
    } finally {
      store.close();
    }
  });
});

describe("verifyStore on a command whose last event was removed", () => {
  it("names the missing event, not the request that pointed at the command", async () => {
    const db = tempDb();
    const c = await Controller.open({ db, runDir: tempDir(), actor: "test" });
    let first = 0;
    try {
      await c.run({ type: "network.create", name: "n0", driver: "null" });
      await c.run({ type: "sandbox.create", containerId: "c1", netns: null });
      await c.run({ type: "network.connect", network: "n0", sandbox: "c1" });
      // One command, three events: the endpoint leaves, is deleted, and then the sandbox is.
      first = c.headOf().seq + 1;
      await c.run({ type: "sandbox.delete", sandbox: "c1" }, { requestId: "req-delete" });
      await c.run({ type: "sandbox.create", containerId: "c2", netns: null });
    } finally {
      await c.close();
    }
    const store = Store.open(db);
    try {
      const removed = store.db.prepare("SELECT seq FROM events WHERE type = 'sandbox.deleted'").get() as { seq: number };
      store.db.exec(`DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq = ${removed.seq}`);
      const r = verifyStore(store);
      expect(r.firstBad).toBe(removed.seq);
      expect(r.problems.map((p) => p.kind)).not.toContain("request");
      expect(removed.seq).toBeGreaterThan(first); // the request's own seq lies before the gap
    } finally {
      store.close();
    }
  });
});
