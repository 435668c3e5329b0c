import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Controller } from "../src/controller/controller.js";
import { type Benchmark, type BenchResult, benchDir } from "./harness.js";

/**
 * Writer processes flat out on one database for 10 s, two and then five, with two CPU-bound processes
 * running beside them so that the CPUs are busy: the share of the commits each got, and the longest
 * any command waited. Polling the lock alone lets the process that just committed take it again
 * before a waiter is even scheduled; the write queue (docs/architecture.md, the log) gives each its
 * turn. The floor is a fair share (100 % of 1/n).
 */
const seconds = 10;
const hogs = 2;

async function writers(n: number): Promise<BenchResult[]> {
  const dir = benchDir();
  const db = join(dir, "writers.db");
  const runDir = join(dir, "run");
  const c = await Controller.open({ db, runDir });
  await c.newNetwork("null", "bench");
  await c.close();
  const script = fileURLToPath(new URL("./writer.ts", import.meta.url));
  const busy = Array.from({ length: hogs }, () => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  try {
    const children = Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, ["--import", "tsx", script, db, runDir, `w${i + 1}`], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      const ready = new Promise<void>((resolve) => child.stdout.on("data", () => out.includes("ready") && resolve()));
      const done = new Promise<string>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`writer w${i + 1} exited with ${code}`))));
      });
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    const start = Date.now() + 500;
    for (const c of children) c.child.stdin.end(`${start} ${start + seconds * 1000}\n`);
    const outs = (await Promise.all(children.map((c) => c.done))).map((stdout) => ({ stdout }));
    const rs = outs.map((o) => JSON.parse(o.stdout.trim().split("\n").at(-1)!) as { commits: number; commands: number; maxWaitMs: number });
    const commits = rs.map((r) => r.commits);
    const total = commits.reduce((a, b) => a + b, 0);
    const fair = 100 / n;
    const share = (100 * Math.min(...commits)) / total;
    const maxWait = Math.max(...rs.map((r) => r.maxWaitMs));
    return [
      {
        name: n === 2 ? "target8" : "target8b",
        label: `${n} processes writing flat out for ${seconds} s beside ${hogs} CPU-bound ones: the smallest share of the commits (${commits.join(" / ")})`,
        value: share,
        unit: "%",
        floor: fair,
        floorName: `a fair share, 1/${n} (%)`,
        ratio: share / fair,
        target: "ratio >= 0.30",
        met: share / fair >= 0.3,
      },
      {
        name: n === 2 ? "target8-wait" : "target8b-wait",
        label: `the same: the longest any command waited for its answer`,
        value: maxWait,
        unit: "ms",
        floor: 1000,
        floorName: "the limit (ms)",
        ratio: maxWait / 1000,
        target: "<= 1,000 ms",
        met: maxWait <= 1000,
      },
    ];
  } finally {
    for (const h of busy) h.kill("SIGKILL");
  }
}

export const benchmarks: Benchmark[] = [() => writers(2), () => writers(5)];
