import Table from "cli-table3";
import { type Benchmark, type BenchResult, progress, removeBenchDirs } from "./harness.js";

/**
 * `npm run bench`: runs every benchmark, each beside its floor measured in the same run, and prints a
 * table (name, figure, floor, ratio, target, met), or with `--json` one document
 * {"results":[{name,value,unit,floor,ratio,target,met,…}]}. With `--strict` a missed target exits 1.
 * Arguments that are not options select modules by name (`npm run bench -- ipam cycle`).
 */
const modules = ["cycle", "open", "startup", "longLog", "ipam", "remote", "kernel", "writers", "daemon", "dns", "cni", "cluster", "overlay"];

const args = process.argv.slice(2);
const json = args.includes("--json");
const strict = args.includes("--strict");
const only = args.filter((a) => !a.startsWith("--"));
for (const m of only) if (!modules.includes(m)) throw new Error(`no bench module "${m}" (there are: ${modules.join(", ")})`);

const results: BenchResult[] = [];
const t0 = performance.now();
try {
  for (const m of modules.filter((m) => only.length === 0 || only.includes(m))) {
    const mod = (await import(`./${m}.js`)) as { benchmarks: Benchmark[] };
    for (const b of mod.benchmarks) {
      const rs = await b();
      for (const r of rs) progress(`${r.name}: ${r.value === null ? "skipped" : `${fmt(r.value)} ${r.unit}`}`);
      results.push(...rs);
    }
  }
} finally {
  removeBenchDirs();
}
// The raw floors by themselves, so that a reader can see what the machine did during this run.
const floors: { name: string; value: number | null; unit: string }[] = [];
if (only.length === 0) {
  progress("floors");
  const f = await import("./floors.js");
  const rows: [string, () => number | Promise<number>, string][] = [
    ["write 100 bytes + fsync", f.fsyncMs, "ms"],
    ["durable SQLite commit, 1 row (WAL, synchronous=FULL)", () => f.commitMs(300, 3), "ms"],
    ["durable SQLite commit, 100 rows", f.commit100Ms, "ms"],
    ["HTTP POST round trip, UNIX socket, keep-alive", f.httpRoundTripMs, "ms"],
    ["spawn /bin/true", f.spawnMs, "ms"],
    ["ip -j link show lo", f.ipCommandMs, "ms"],
    ["ip netns add (root)", f.netnsAddMs, "ms"],
  ];
  for (const [name, measure, unit] of rows) {
    const v = await measure();
    floors.push({ name, value: Number.isNaN(v) ? null : v, unit });
  }
  removeBenchDirs();
}
progress(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

function fmt(v: number | null): string {
  if (v === null || Number.isNaN(v)) return "-";
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(3);
}

if (json) {
  process.stdout.write(JSON.stringify({ results, floors }) + "\n");
} else {
  const t = new Table({ head: ["name", "figure", "floor", "ratio", "target", "met"], style: { head: [], border: [] }, wordWrap: true, colWidths: [13, 30, 34, 8, 28, 6] });
  for (const r of results)
    t.push([
      r.name,
      `${r.label}: ${r.value === null ? "skipped" : `${fmt(r.value)} ${r.unit}`}`,
      r.floor === null ? "-" : `${fmt(r.floor)} (${r.floorName})`,
      r.ratio === null ? "-" : r.ratio.toFixed(2),
      r.target,
      r.met === null ? "-" : r.met ? "yes" : "NO",
    ]);
  process.stdout.write(t.toString() + "\n");
  for (const r of results.filter((r) => r.note)) process.stdout.write(`${r.name}: ${r.note}\n`);
  if (floors.length) {
    const ft = new Table({ head: ["floor (measured in this run)", "value"], style: { head: [], border: [] } });
    for (const f of floors) ft.push([f.name, f.value === null ? "skipped (needs root)" : `${fmt(f.value)} ${f.unit}`]);
    process.stdout.write(ft.toString() + "\n");
  }
}
if (strict && results.some((r) => r.met === false)) process.exitCode = 1;
