import { daemonLoad, quantile, rawLoad } from "./daemonLoad.js";
import type { Benchmark, BenchResult } from "./harness.js";

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/**
 * Issue 9: 8 client processes sending commands flat out through the daemon (`netledger serve`, built
 * in dist/) for 20 s: endpoint create, join, leave, delete, each with a request id. The floor is the
 * same clients against a raw HTTP server on a UNIX socket, in the same run. The target: no client
 * waits more than 1 s for an answer, and every acknowledged command is in the log afterwards.
 */
const daemon: Benchmark = async () => {
  const n = 8;
  const floor = await rawLoad(n, 5_000);
  const load = await daemonLoad(n, 20_000);
  if (load.errors.length > 0 || floor.errors.length > 0) throw new Error(`load clients failed: ${[...load.errors, ...floor.errors].join("; ")}`);
  const floorName = `raw HTTP round trip on a UNIX socket, ${n} clients`;
  const at = (values: number[], q: number) => quantile(values, q);
  const figure = (name: string, label: string, q: number): BenchResult => {
    const value = at(load.latenciesMs, q);
    const f = at(floor.latenciesMs, q);
    return {
      name,
      label,
      value: round(value),
      unit: "ms",
      floor: round(f),
      floorName: `${floorName} (ms)`,
      ratio: round(value / f, 2),
      target: q === 1 ? "no answer over 1000 ms" : "reported (issue 9)",
      met: q === 1 ? value <= 1000 : null,
    };
  };
  const perSecond = load.latenciesMs.length / (load.durationMs / 1000);
  return [
    figure("daemon-p50", `${n} clients through the daemon for 20 s: median answer time`, 0.5),
    figure("daemon-p99", `${n} clients through the daemon for 20 s: 99th percentile answer time`, 0.99),
    figure("daemon-max", `${n} clients through the daemon for 20 s: longest wait (${Math.round(perSecond)} commands/s)`, 1),
    {
      name: "daemon-lost",
      label: `acknowledged commands missing from the log, of ${load.acked}`,
      value: load.lost.length,
      unit: "commands",
      floor: 0,
      floorName: "none",
      ratio: null,
      target: "0",
      met: load.lost.length === 0,
    },
  ];
};

export const benchmarks: Benchmark[] = [daemon];
