import { describe, expect, it } from "vitest";
import { loadState } from "../../../src/controller/loadState.js";
import { isNetledgerError } from "../../../src/domain/errors.js";
import type { NewEvent } from "../../../src/domain/events.js";
import { emptyState, reducerVersion } from "../../../src/domain/state.js";
import { serialiseState, Store } from "../../../src/store/store.js";
import { fixtureStore } from "../../helpers/fixtureStore.js";
import { tempDb } from "../../helpers/tmp.js";

const id = "a".repeat(64);
const meta = { actor: "test", time: "2024-05-01T09:00:00.000Z" };

/** A writable store with one sandbox.created event at seq 1, and its append-only triggers dropped so a test can change rows. */
function tamperable(): Store {
  const store = Store.open(tempDb());
  const events: NewEvent[] = [
    {
      type: "sandbox.created",
      stream: id,
      data: { id, containerId: "c1", key: null, hostname: "h", domainname: "", dns: [], extraHosts: [], pending: false },
    },
  ];
  store.write(() => store.log.insert(store.log.seal(store.log.head(), events, meta)));
  store.db.exec("DROP TRIGGER events_append_only_update");
  return store;
}

function thrown(fn: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (isNetledgerError(e)) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("events read back from the log", () => {
  it("are checked against their type's schema: a row that fails is a Corrupt error naming its seq", () => {
    const store = tamperable();
    try {
      expect([...store.log.eventsAfter(0)].map((e) => e.type)).toEqual(["sandbox.created"]);
      store.db.prepare("UPDATE events SET data = json_set(data, '$.hostname', 42) WHERE seq = 1").run();
      const err = thrown(() => [...store.log.eventsAfter(0)]);
      expect(err.code).toBe("Corrupt");
      expect(err.message).toMatch(/^event 1 \(sandbox\.created\) does not match its schema: hostname: /);
      expect(err.details).toEqual({ seq: 1 });
      expect(thrown(() => loadState(store)).message).toMatch(/^event 1 /);
    } finally {
      store.close();
    }
  });

  it("keep the stored key order, so a replayed state equals the live one key for key", () => {
    const store = tamperable();
    try {
      const [e] = [...store.log.eventsAfter(0)];
      expect(Object.keys(e!.data)).toEqual(["containerId", "dns", "domainname", "extraHosts", "hostname", "id", "key", "pending"]);
    } finally {
      store.close();
    }
  });
});

describe("a snapshot read back from the database", () => {
  function withSnapshot(): Store {
    const store = tamperable();
    const state = loadState(store, { useSnapshots: false }).state;
    const { json, hash } = serialiseState(state);
    store.saveSnapshot(1, reducerVersion, json, hash);
    return store;
  }

  it("is used when its hash, shape and seq hold", () => {
    const store = withSnapshot();
    try {
      const loaded = loadState(store);
      expect(loaded.fromSnapshot).toBe(1);
      expect(loaded.replayed).toBe(0);
    } finally {
      store.close();
    }
  });

  it("is a Corrupt error naming its seq when its state was changed", () => {
    const store = withSnapshot();
    try {
      store.db.prepare("UPDATE snapshots SET state = replace(state, '\"boot\":null', '\"boot\":\"x\"') WHERE seq = 1").run();
      const err = thrown(() => loadState(store));
      expect(err.code).toBe("Corrupt");
      expect(err.message).toBe("snapshot at seq 1 does not match its own state hash: it was changed after it was written");
    } finally {
      store.close();
    }
  });

  it("is a Corrupt error when it does not hold a state of its seq, even with a matching hash", () => {
    const store = withSnapshot();
    try {
      const notAState = serialiseState({ ...emptyState(), networks: [] } as never);
      store.db.prepare("UPDATE snapshots SET state = ?, state_hash = ? WHERE seq = 1").run(notAState.json, notAState.hash);
      expect(thrown(() => loadState(store)).message).toMatch(/^snapshot at seq 1 does not hold a state: networks: /);
      const earlier = serialiseState(emptyState());
      store.db.prepare("UPDATE snapshots SET state = ?, state_hash = ? WHERE seq = 1").run(earlier.json, earlier.hash);
      expect(thrown(() => loadState(store)).message).toBe("snapshot at seq 1 holds the state at seq 0");
    } finally {
      store.close();
    }
  });
});

describe("effect history", () => {
  it("tells an effect's intent, attempts and outcome by the seq of its intent", () => {
    const store = fixtureStore();
    expect(store.effects.summary(4)).toEqual({ op: "createNetwork", driver: "acme", resource: expect.any(String), attempts: 1, outcome: "succeeded" });
    expect(store.effects.summary(19)).toMatchObject({ op: "createEndpoint", outcome: "failed", error: { code: "DriverError" } });
    expect(store.effects.outcome(19)).toMatchObject({ outcome: "failed", seq: 20 });
    expect(store.effects.intent(1)).toBeUndefined();
    expect(store.effects.summary(1)).toBeUndefined();
  });

  it("lists the failures a command's effects recorded, first first", () => {
    const store = fixtureStore();
    expect(store.effects.failuresSince("fixture-14", 18)).toEqual([{ seq: 20, error: expect.objectContaining({ code: "DriverError" }) }]);
    expect(store.effects.failuresSince("fixture-14", 21)).toEqual([]);
    expect(store.effects.failuresSince("no-such-root", 0)).toEqual([]);
  });
});
