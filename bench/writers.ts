import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Controller } from "../src/controller/controller.js";
import { type Benchmark, benchDir } from "./harness.js";

/**
 * Two processes writing flat out to one database for a few seconds: the share of the commits each
 * got. SQLite's busy handler alone lets the process that just committed take the lock again before
 * the other wakes (docs/architecture.md, the log); the floor is a fair half.
 */
const seconds = 5;

const target8: Benchmark = async () => {
  const dir = benchDir();
  const db = join(dir, "writers.db");
  const runDir = join(dir, "run");
  const c = await Controller.open({ db, runDir });
  await c.newNetwork("null", "bench");
  await c.close();
  const script = fileURLToPath(new URL("./writer.ts", import.meta.url));
  // Both start at the same wall-clock time, once both have opened (tsx takes a second or two to start).
  const start = Date.now() + 4000;
  const end = start + seconds * 1000;
  const run = promisify(execFile);
  const outs = await Promise.all(
    ["w1", "w2"].map((name) => run(process.execPath, ["--import", "tsx", script, db, runDir, name, String(start), String(end)], { timeout: 120_000 })),
  );
  const commits = outs.map((o) => (JSON.parse(o.stdout.trim().split("\n").at(-1)!) as { commits: number }).commits);
  const total = commits[0]! + commits[1]!;
  const share = (100 * Math.min(...commits)) / total;
  return [
    {
      name: "target8",
      label: `two processes writing flat out for ${seconds} s: the smaller share of the commits (${commits.join(" vs ")})`,
      value: share,
      unit: "%",
      floor: 50,
      floorName: "a fair half (%)",
      ratio: share / 50,
      target: ">= 30 %",
      met: share >= 30,
    },
  ];
};

export const benchmarks: Benchmark[] = [target8];
