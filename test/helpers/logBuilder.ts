import { readFileSync } from "node:fs";
import type { EventMeta, NewEvent } from "../../src/domain/events.js";
import { evolve } from "../../src/domain/evolve.js";
import { emptyState, type State } from "../../src/domain/state.js";
import Database from "better-sqlite3";
import { migrate } from "../../src/store/migrations.js";
import { Store } from "../../src/store/store.js";

/**
 * Logs made for tests with fixed ids, times and actors, appended through the store exactly as the
 * controller appends (seal → fold → insert in one transaction), so their hashes are stable and every
 * event is one the reducers accept.
 */

/** One command's worth of events with the metadata it was recorded under. */
export interface FixtureStep {
  meta: EventMeta;
  events: NewEvent[];
}

/** Appends steps in one transaction, folding each so that an event the reducers refuse throws. */
export function appendSteps(store: Store, steps: readonly FixtureStep[], state: State = emptyState()): State {
  return store.write(() => {
    let head = store.log.head();
    for (const step of steps) {
      const sealed = store.log.seal(head, step.events, step.meta);
      state = evolve(state, sealed);
      store.log.insert(sealed);
      if (sealed.length === 0) continue;
      // As the controller does: a request id remembers the first event of its command.
      if (step.meta.requestId !== undefined)
        store.recordRequest({ request_id: step.meta.requestId, fingerprint: "fixture", seq: sealed[0]!.seq, entity_kind: null, entity_id: null });
      head = { seq: sealed.at(-1)!.seq, hash: sealed.at(-1)!.hash };
    }
    return state;
  });
}

/** Reads a fixture log: JSON lines, one step (`{meta, events}`) a line. */
export function readSteps(jsonlPath: string | URL): FixtureStep[] {
  return readFileSync(jsonlPath, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as FixtureStep);
}

/** The database id of the fixture log. */
export const fixtureDatabaseId = "0000000000000000000000000000f17e";

/** The operator's fixture log of test/fixtures/ops-log.jsonl, written into a new database at `db`. */
export const opsLogPath = new URL("../fixtures/ops-log.jsonl", import.meta.url);

export function writeFixtureLog(db: string, jsonlPath: string | URL = opsLogPath): void {
  // A fixed database id: it is bound into the chain (event 1), and the goldens show the hashes.
  const raw = new Database(db);
  try {
    migrate(raw);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('database_id', ?), ('created_at', ?)").run(fixtureDatabaseId, "2024-05-01T09:00:00.000Z");
  } finally {
    raw.close();
  }
  const store = Store.open(db);
  try {
    appendSteps(store, readSteps(jsonlPath));
  } finally {
    store.close();
  }
}

const hex64 = (n: number) => n.toString(16).padStart(64, "0");

/**
 * The events of one round of a large log (eight events): a network, a sandbox in the host's namespace,
 * an endpoint that is created, joined, left and deleted, then the sandbox and the network deleted.
 * Every family appears and the state stays small, as in a long-lived daemon.
 */
function round(i: number): NewEvent[] {
  const net = hex64(3 * i + 1);
  const sb = hex64(3 * i + 2);
  const ep = hex64(3 * i + 3);
  return [
    {
      type: "network.created",
      stream: net,
      data: {
        id: net,
        name: `net-${i}`,
        driver: "null",
        scope: "local",
        ipam: { driver: "null", config: [], options: {} },
        ipv6: false,
        internal: false,
        options: {},
        labels: {},
        pending: false,
      },
    },
    {
      type: "sandbox.created",
      stream: sb,
      data: { id: sb, containerId: `c-${i}`, key: null, hostname: "", domainname: "", dns: [], extraHosts: [], pending: false },
    },
    {
      type: "endpoint.created",
      stream: ep,
      data: {
        id: ep,
        network: net,
        name: `ep-${i}`,
        ipv4: null,
        ipv6: null,
        mac: null,
        gateway: null,
        gateway6: null,
        ports: [],
        aliases: [],
        pending: false,
      },
    },
    { type: "endpoint.joined", stream: ep, data: { id: ep, sandbox: sb, pending: false } },
    { type: "endpoint.left", stream: ep, data: { id: ep, sandbox: sb, pending: false } },
    { type: "endpoint.deleted", stream: ep, data: { id: ep, pending: false } },
    { type: "sandbox.deleted", stream: sb, data: { id: sb, pending: false } },
    { type: "network.deleted", stream: net, data: { id: net, pending: false } },
  ];
}

/**
 * A log of `n` events (a multiple of eight) in a new database, made fast: sealed and inserted in large
 * transactions on a connection that skips fsync (synchronous=OFF: a test's scratch file need not
 * survive a power cut). Nothing is folded while building; the tests verify and replay the result.
 */
export function buildLargeLog(db: string, n: number, opts: { batch?: number; start?: Date } = {}): { seq: number; hash: string } {
  if (n % 8 !== 0) throw new Error(`buildLargeLog makes rounds of 8 events: ${n} is not a multiple of 8`);
  const batch = opts.batch ?? 50_000;
  const start = (opts.start ?? new Date("2024-01-01T00:00:00.000Z")).getTime();
  const store = Store.open(db);
  try {
    store.db.pragma("synchronous = OFF");
    let i = 0;
    const rounds = n / 8;
    while (i < rounds) {
      const end = Math.min(rounds, i + batch / 8);
      store.write(() => {
        let head = store.log.head();
        for (; i < end; i++) {
          // One command a round, a second apart.
          const meta: EventMeta = { actor: i % 2 === 0 ? "alice" : "bob", time: new Date(start + i * 1000).toISOString() };
          const sealed = store.log.seal(head, round(i), meta);
          store.log.insert(sealed);
          head = { seq: sealed.at(-1)!.seq, hash: sealed.at(-1)!.hash };
        }
      });
    }
    return store.log.head();
  } finally {
    store.close();
  }
}
