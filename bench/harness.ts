import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * What a benchmark reports: its figure beside a floor measured in the same run on the same machine
 * (the plain operation the figure cannot beat: a durable commit, a socket round trip, a process
 * spawn), so that the ratio says something where the raw figure would only describe the machine.
 * `name` is the target (`target1` … `target8`; a target with two figures has a second entry,
 * `target4b`); `target` is the requirement in words; `met` says whether it held, null when skipped.
 */
export interface BenchResult {
  name: string;
  /** What the figure measures, for people. */
  label: string;
  value: number | null;
  unit: string;
  floor: number | null;
  floorName: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
  /** Why the figure is missing or how it was measured differently (no root, no real remote driver). */
  note?: string;
}

/** A bench module exports `benchmarks`: each returns its results. */
export type Benchmark = () => BenchResult[] | Promise<BenchResult[]>;

/**
 * Operations per second of `round(n)`, which does n operations and may prepare its own data (its
 * setup is timed out by `prepare`, which runs before each round). The best of a few rounds counts:
 * a benchmark wants what the code can do, not what the scheduler let it.
 */
export function opsPerSecond<T>(n: number, prepare: () => T, round: (data: T, n: number) => void, rounds = 5): number {
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const data = prepare();
    const t0 = process.hrtime.bigint();
    round(data, n);
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.max(best, (n * 1e9) / ns);
  }
  return best;
}

/**
 * Milliseconds per operation of an async `op` run `n` times one after another, the best mean of
 * `rounds` rounds (after a warm-up round of its own size).
 */
export async function msPerOp(n: number, op: (i: number) => unknown, rounds = 3): Promise<number> {
  let best = Infinity;
  let i = 0;
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    for (let k = 0; k < n; k++) await op(i++);
    const ms = (performance.now() - t0) / n;
    if (r > 0) best = Math.min(best, ms);
  }
  return best;
}

/** The same for a synchronous `op`. */
export function msPerOpSync(n: number, op: (i: number) => unknown, rounds = 3): number {
  let best = Infinity;
  let i = 0;
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    for (let k = 0; k < n; k++) op(i++);
    const ms = (performance.now() - t0) / n;
    if (r > 0) best = Math.min(best, ms);
  }
  return best;
}

/** A deterministic pseudo-random sequence (xorshift32), so runs are alike. */
export function xorshift(seed = 0x9e3779b9): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const dirs: string[] = [];
/**
 * A fresh directory for a benchmark's files on the disk the system keeps temp files on (a real disk
 * here: fsync must cost what it costs), removed when the run ends.
 */
export function benchDir(prefix = "netledger-bench-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function removeBenchDirs(): void {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
}

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** A result for a benchmark that could not run here (no root), saying why. */
export function skipped(r: Omit<BenchResult, "value" | "floor" | "ratio" | "met">, why: string): BenchResult {
  return { ...r, value: null, floor: null, ratio: null, met: null, note: why };
}

/** A result whose ratio is figure ÷ floor. */
export function result(r: Omit<BenchResult, "ratio"> & { value: number; floor: number }): BenchResult {
  return { ...r, ratio: r.value / r.floor };
}

/** Progress for people on stderr, so that --json stdout stays one document. */
export function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A figure and its floor measured in alternating rounds (floor, figure, floor, figure…), because the
 * disk's fsync time here drifts by a factor of ten within a minute (other work on the machine): each
 * figure round is compared with the floor round just before it. Value and floor are the medians of
 * their rounds, the ratio the median of the rounds' ratios.
 */
export async function paired(
  rounds: number,
  floorRound: () => number | Promise<number>,
  figureRound: () => number | Promise<number>,
): Promise<{ value: number; floor: number; ratio: number }> {
  await figureRound(); // warm-up
  const fs: number[] = [];
  const vs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    fs.push(await floorRound());
    vs.push(await figureRound());
  }
  return { value: median(vs), floor: median(fs), ratio: median(vs.map((v, i) => v / fs[i]!)) };
}
