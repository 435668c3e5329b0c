import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CrashPoint, crashPointHits, crashPointNames } from "../../src/effects/crashPoints.js";
import { type Exit, runWorkloadChild } from "../helpers/child.js";
import { type ExternalState, ExternalSystem } from "../helpers/externalDriver.js";
import { comparableView } from "../helpers/invariants.js";
import { openWith, runSteps, type Step, type StepResult, type WorkloadConfig } from "./workload.js";

/**
 * What the crash suite and the invariant 6 property test share: the crash-free reference run of a
 * workload, the crash points inside each of its steps, and the workload run in a child process killed
 * at one of them.
 */

export interface ReferenceRun {
  /** Crash point hits before each step and after the last, counted from the run's first step. */
  hits: Record<CrashPoint, number>[];
  view: ReturnType<typeof comparableView>;
  external: ExternalState;
  results: StepResult[];
  /** Driver calls the run made. */
  calls: number;
}

export function configIn(dir: string, runDir: string): WorkloadConfig {
  return { db: join(dir, "netledger.db"), external: join(dir, "external.db"), runDir };
}

export const outcomeOf = (r: StepResult): string | undefined => (r.ok ? "ok" : r.code);

/** The steps run in this process without a crash: where their crash points fall, and the end state. */
export async function referenceRun(config: Omit<WorkloadConfig, "steps">, steps: readonly Step[]): Promise<ReferenceRun> {
  const system = new ExternalSystem(config.external);
  try {
    const c = await openWith(config, system);
    try {
      const hits: Record<CrashPoint, number>[] = [];
      const results = await runSteps(c, steps, () => hits.push({ ...crashPointHits() }));
      hits.push({ ...crashPointHits() });
      // Counted from this process's start: made relative to the run's own first step.
      const base = hits[0]!;
      return {
        hits: hits.map((h) => Object.fromEntries(crashPointNames.map((p) => [p, h[p] - base[p]])) as Record<CrashPoint, number>),
        view: comparableView(c.view()),
        external: system.state(),
        results,
        calls: system.calls().length,
      };
    } finally {
      await c.close();
    }
  } finally {
    system.close();
  }
}

/** Every (point, n) at which a run is inside step i: the n-th pass of the point since the run began. */
export function crashesIn(ref: Pick<ReferenceRun, "hits">, i: number): { point: CrashPoint; nth: number }[] {
  const before = ref.hits[i]!;
  const after = ref.hits[i + 1]!;
  return crashPointNames.flatMap((point) =>
    Array.from({ length: after[point] - before[point] }, (_, k) => ({ point, nth: before[point] + k + 1 })),
  );
}

/** The workload (config.steps, or the crash suite's own) in a child process armed to SIGKILL itself at the n-th pass of a point. */
export function crashedRun(config: WorkloadConfig, point: CrashPoint, nth: number): Promise<Exit> {
  const path = join(config.db, "..", "config.json");
  writeFileSync(path, JSON.stringify(config));
  return runWorkloadChild(path, { NETLEDGER_CRASH_AT: `${point}:${nth}` });
}
