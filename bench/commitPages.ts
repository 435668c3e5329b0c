import { cycle, openRig } from "./cycle.js";
import { commitMs } from "./floors.js";
import { median, msPerOp, removeBenchDirs } from "./harness.js";

/**
 * What the search keys (migration 0005, src/store/eventKeys.ts) save on the null cycle: the cycle on
 * a log as netledger makes it, against the same on a log with the four indexes on events put back
 * that the migration dropped (so each commit writes five WAL pages again). Rounds alternate between
 * the two in one process, each beside a durable commit measured just before it, because this disk's
 * fsync time drifts tenfold within a minute. Not a bench module (nothing to meet): run it with
 * `npx tsx bench/commitPages.ts` (R=rounds, FILL=endpoints left in the state first).
 */
const keys = await openRig("keys");
const indexed = await openRig("indexed");
indexed.c.store.db.exec(`CREATE INDEX events_by_stream ON events (stream, seq); CREATE INDEX events_by_type ON events (type, seq);
  CREATE INDEX events_by_actor ON events (actor, seq); CREATE INDEX events_by_time ON events (time);`);
let k = 0;
// FILL=n: n endpoints left in each state first (target3's question: whether the saving holds on a large log).
const fill = Number(process.env["FILL"] ?? 0);
for (const r of [keys, indexed]) {
  let next = 0;
  await Promise.all(Array.from({ length: 512 }, async () => {
    while (next < fill) await r.net.createEndpoint(`f${next++}`);
  }));
}
for (const r of [keys, indexed]) for (let i = 0; i < 30; i++) await cycle(r, `w${k++}`);
const ratios = { keys: [] as number[], indexed: [] as number[] };
const floors: number[] = [];
for (let round = 0; round < Number(process.env["R"] ?? 20); round++) {
  const order = round % 2 ? (["keys", "indexed"] as const) : (["indexed", "keys"] as const);
  for (const name of order) {
    const f = commitMs(40);
    floors.push(f);
    const rig = name === "keys" ? keys : indexed;
    ratios[name].push((await msPerOp(20, () => cycle(rig, `s${k++}`), 1)) / f);
  }
}
const perRound = ratios.indexed.map((v, i) => v / ratios.keys[i]!);
console.log(
  `durable commit: median ${median(floors).toFixed(3)} ms; cycle in commits' worth: keys table ${median(ratios.keys).toFixed(2)}, ` +
    `four indexes on events ${median(ratios.indexed).toFixed(2)}; indexed/keys per round, median ${median(perRound).toFixed(3)}`,
);
await keys.c.close();
await indexed.c.close();
removeBenchDirs();
