import { Controller } from "../src/controller/controller.js";

/**
 * One of the two writer processes of the fairness benchmark (bench/writers.ts): opens the database,
 * waits for the start time, then creates and deletes null-network endpoints with 8 in flight until the
 * end time, and prints how many commits it made. Args: DB RUNDIR NAME START_MS END_MS.
 */
const [db, runDir, name, start, end] = process.argv.slice(2);
const c = await Controller.open({ db: db!, runDir: runDir!, actor: name! });
const net = c.networkByName("bench")!;
await new Promise((r) => setTimeout(r, Math.max(0, Number(start) - Date.now())));
const before = c.stats().commits;
let k = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (Date.now() < Number(end)) {
      const e = await net.createEndpoint(`${name}-${k++}`);
      await e.delete();
    }
  }),
);
process.stdout.write(JSON.stringify({ commits: c.stats().commits - before }) + "\n");
await c.close();
