import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Controller } from "../src/controller/controller.js";
import { type Benchmark, benchDir, progress, result } from "./harness.js";

/**
 * Issue 15: `network ls` on a log of 300,000 events written by one long-lived process (an embedding
 * runtime that never reopens its log), with the CLI as users run it (dist/, built by `npm run bench`).
 * The log is written through the controller as a runtime writes it (null-driver endpoints created and
 * deleted, 256 in flight), and the writer stays open while the CLI reads: every snapshot the reader
 * finds was written by the writer as the log grew. The floor is the same command right after
 * `netledger snapshot` wrote one at the head.
 */
const events = 300_000;
const cliPath = fileURLToPath(new URL("../bin/netledger.js", import.meta.url));
const run = promisify(execFile);

async function cliMs(args: string[], rounds = 5): Promise<{ ms: number; stderr: string }> {
  let best = Infinity;
  let stderr = "";
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const out = await run(process.execPath, [cliPath, ...args], { env: { ...process.env, NETLEDGER_HOST: "" } });
    best = Math.min(best, performance.now() - t0);
    stderr = out.stderr;
  }
  return { ms: best, stderr };
}

const longLog: Benchmark = async () => {
  const dir = benchDir();
  const db = join(dir, "long.db");
  const runDir = join(dir, "run");
  const writer = await Controller.open({ db, runDir });
  try {
    progress(`longlog: one process writing ${events.toLocaleString("en-US")} events`);
    const net = await writer.newNetwork("null", "bench");
    let k = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (writer.headOf().seq < events) {
          const e = await net.createEndpoint(`e${k++}`);
          await e.delete();
        }
      }),
    );
    // A turn for a snapshot the last commits asked for, as a runtime between two bursts would give.
    await new Promise((r) => setTimeout(r, 200));
    const snaps = writer.store.snapshots().map((s) => s.seq);
    const head = writer.headOf().seq;
    const ls = await cliMs(["--db", db, "network", "ls"]);
    await cliMs(["--db", db, "snapshot"], 1);
    const floor = await cliMs(["--db", db, "network", "ls"]);
    return [
      result({
        name: "longlog",
        label: `network ls on a log of ${head.toLocaleString("en-US")} events written by one long-lived process (${snaps.length} snapshots written as it grew, the last ${(head - (snaps.at(-1) ?? 0)).toLocaleString("en-US")} events back)`,
        value: ls.ms / 1000,
        unit: "s",
        floor: floor.ms / 1000,
        floorName: "the same right after netledger snapshot",
        target: "<= 1 s",
        met: ls.ms <= 1000,
        ...(ls.stderr ? { note: `network ls said: ${ls.stderr.trim()}` } : {}),
      }),
    ];
  } finally {
    await writer.close();
  }
};

export const benchmarks: Benchmark[] = [longLog];
