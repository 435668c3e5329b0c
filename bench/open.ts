import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { Controller } from "../src/controller/controller.js";
import { loadState } from "../src/controller/loadState.js";
import type { NewEvent } from "../src/domain/events.js";
import { Store } from "../src/store/store.js";
import { openRig } from "./cycle.js";
import { type Benchmark, benchDir, progress, result } from "./harness.js";

/**
 * Opening a long log. The log is 1,000,000 events of null-driver endpoint cycles (created, joined,
 * left, deleted: what the cycle benchmark appends), sealed into the hash chain exactly as the
 * controller seals them, but written in large transactions so that making it takes seconds.
 */
const total = 1_000_000;

/** An id for the nth endpoint, spread over the hex range as random ids are (the state's tries key on the first characters). */
const hex64 = (n: number) => createHash("sha256").update(`bench-endpoint-${n}`).digest("hex");

function cycleEvents(i: number, network: string, sandbox: string): NewEvent[] {
  const id = hex64(i);
  const stream = id;
  const ep = { aliases: [], gateway: null, gateway6: null, id, ipv4: null, ipv6: null, mac: null, name: `e${i}`, network, pending: false, ports: [] };
  return [
    { stream, type: "endpoint.created", data: ep },
    { stream, type: "endpoint.joined", data: { id, pending: false, sandbox } },
    { stream, type: "endpoint.left", data: { id, pending: false, sandbox } },
    { stream, type: "endpoint.deleted", data: { id, pending: false } },
  ] as NewEvent[];
}

/** Appends `cycles` endpoint cycles after the head, `perTx` events to a transaction. */
export function appendCycles(store: Store, from: number, cycles: number, network: string, sandbox: string, perTx = 40_000): void {
  const meta = { actor: "bench", time: new Date().toISOString() };
  for (let c = from; c < from + cycles; ) {
    const batch: NewEvent[] = [];
    for (; c < from + cycles && batch.length < perTx; c++) batch.push(...cycleEvents(c, network, sandbox));
    store.write(() => store.log.insert(store.log.seal(store.log.head(), batch, meta)));
  }
}

async function makeLog(): Promise<{ db: string; runDir: string }> {
  const rig = await openRig("long");
  const db = rig.c.path;
  const runDir = rig.c.runDir;
  const network = rig.net.id;
  const sandbox = rig.sb.id;
  await rig.c.close();
  const store = Store.open(db);
  try {
    appendCycles(store, 0, (total - store.log.head().seq) / 4, network, sandbox);
  } finally {
    store.close();
  }
  return { db, runDir };
}

/** Events per second of reading every row and JSON.parse-ing its data: the replay's floor. */
function readAndParseRate(db: string): number {
  const d = new Database(db, { readonly: true });
  try {
    let best = 0;
    for (let r = 0; r < 2; r++) {
      const t0 = performance.now();
      let n = 0;
      for (const row of d.prepare("SELECT * FROM events ORDER BY seq").iterate() as IterableIterator<{ data: string }>) {
        JSON.parse(row.data);
        n++;
      }
      best = Math.max(best, (n * 1000) / (performance.now() - t0));
    }
    return best;
  } finally {
    d.close();
  }
}

const target4: Benchmark = async () => {
  progress("target4: writing a log of 1,000,000 events");
  const { db, runDir } = await makeLog();
  const floorRate = readAndParseRate(db);
  // Full replay, no snapshot.
  const store = Store.open(db, { readonly: true });
  let replayRate = 0;
  try {
    for (let r = 0; r < 2; r++) {
      const t0 = performance.now();
      const loaded = loadState(store, { useSnapshots: false });
      replayRate = Math.max(replayRate, (loaded.replayed * 1000) / (performance.now() - t0));
    }
  } finally {
    store.close();
  }
  // A snapshot at the head, then a tail of 1,000 events after it: a recent snapshot.
  const c = await Controller.open({ db, runDir, recover: false });
  c.snapshot();
  const network = c.networkByName("bench")!.id;
  const sandbox = c.sandboxes()[0]!.id;
  await c.close();
  const w = Store.open(db);
  appendCycles(w, total, 250, network, sandbox);
  w.close();
  let openMs = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const o = await Controller.open({ db, runDir });
    openMs = Math.min(openMs, performance.now() - t0);
    await o.close();
  }
  // Floor: open the file with SQLite and parse the snapshot's state.
  let floorMs = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const d = new Database(db, { readonly: true });
    const row = d.prepare("SELECT state FROM snapshots ORDER BY seq DESC LIMIT 1").get() as { state: string };
    JSON.parse(row.state);
    d.close();
    floorMs = Math.min(floorMs, performance.now() - t0);
  }
  return [
    result({
      name: "target4",
      label: "open a log of 1,000,000 events with a snapshot 1,000 events back",
      value: openMs / 1000,
      unit: "s",
      floor: floorMs / 1000,
      floorName: "open the file, read and parse the snapshot",
      target: "< 0.25 s",
      met: openMs < 250,
    }),
    result({
      name: "target4b",
      label: "full replay of the same log without a snapshot",
      value: replayRate,
      unit: "events/s",
      floor: floorRate,
      floorName: "read every row + JSON.parse of the same file",
      target: "ratio >= 0.40",
      met: replayRate / floorRate >= 0.4,
    }),
  ];
};

export const benchmarks: Benchmark[] = [target4];
