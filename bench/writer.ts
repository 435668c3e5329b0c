import { Controller } from "../src/controller/controller.js";

/**
 * One of the writer processes of the fairness benchmark (bench/writers.ts): opens the database, says
 * "ready", reads the start and end times (ms since the epoch) from stdin, waits for the start, then creates and deletes null-network endpoints with 8 in flight until the
 * end time, and prints how many commits it made and the longest any one command waited for its
 * answer. Args: DB RUNDIR NAME.
 */
const [db, runDir, name] = process.argv.slice(2);
const c = await Controller.open({ db: db!, runDir: runDir!, actor: name! });
const net = c.networkByName("bench")!;
process.stdout.write("ready\n");
// Every writer starts at the same time, once all have opened (tsx is slow to start on a busy machine).
const [start, end] = await new Promise<number[]>((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8").on("data", (d: string) => {
    text += d;
    if (text.includes("\n")) resolve(text.trim().split(" ").map(Number));
  });
});
process.stdin.destroy();
await new Promise((r) => setTimeout(r, Math.max(0, Number(start) - Date.now())));
const before = c.stats();
let k = 0;
let maxWaitMs = 0;
async function timed<T>(p: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await p();
  maxWaitMs = Math.max(maxWaitMs, performance.now() - t0);
  return r;
}
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (Date.now() < Number(end)) {
      const e = await timed(() => net.createEndpoint(`${name}-${k++}`));
      await timed(() => e.delete());
    }
  }),
);
const after = c.stats();
process.stdout.write(JSON.stringify({ commits: after.commits - before.commits, commands: after.commands - before.commands, maxWaitMs }) + "\n");
await c.close();
