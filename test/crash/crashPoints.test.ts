import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CrashPoint, crashPointHits, crashPointNames } from "../../src/effects/crashPoints.js";
import { runWorkloadChild } from "../helpers/child.js";
import { type ExternalState, ExternalSystem } from "../helpers/externalDriver.js";
import { addressLeaks, comparableView, effectLogProblems } from "../helpers/invariants.js";
import { tempDir } from "../helpers/tmp.js";
import { crashWorkload, describeStep, openWith, runSteps, type StepResult, type WorkloadConfig } from "./workload.js";

/**
 * DESIGN §6 invariant 6, exhaustively: the workload runs in a child process that is killed with
 * SIGKILL at every named crash point of every step (every time the step passes the point), then is
 * sent again from the start in a new process. The end state — the controller's views, the external
 * driver's own state, each step's result — must equal the crash-free run's; no effect is left open,
 * no address leaked, and the log verifies.
 */

interface Reference {
  /** Crash point hits before each step, and after the last. */
  hits: Record<CrashPoint, number>[];
  view: ReturnType<typeof comparableView>;
  external: ExternalState;
  results: StepResult[];
  calls: number;
}

let reference: Reference;

/**
 * Sandbox keys are paths under the run directory, so every run uses the same one. Nothing is made
 * there: the external driver keeps namespaces as rows of its own.
 */
const runDir = "/run/netledger-crash-test";

function configIn(dir: string): WorkloadConfig {
  return { db: join(dir, "netledger.db"), external: join(dir, "external.db"), runDir };
}

const outcomeOf = (r: StepResult) => (r.ok ? "ok" : r.code);

beforeAll(async () => {
  const config = configIn(tempDir("netledger-crash-ref-"));
  const system = new ExternalSystem(config.external);
  const c = await openWith(config, system);
  const hits: Record<CrashPoint, number>[] = [];
  const results = await runSteps(c, crashWorkload, () => hits.push({ ...crashPointHits() }));
  hits.push({ ...crashPointHits() });
  const base = hits[0]!;
  reference = {
    // Counted from this process's start: relative to the reference's own first step.
    hits: hits.map((h) => Object.fromEntries(crashPointNames.map((p) => [p, h[p] - base[p]])) as Record<CrashPoint, number>),
    view: comparableView(c.view()),
    external: system.state(),
    results,
    calls: system.calls().length,
  };
  await c.close();
  system.close();
  expect(results.every((r) => r.ok), "the crash-free run succeeds at every step").toBe(true);
  expect(reference.view.effects).toEqual({ pending: [], inDoubt: [] });
});

/** Every (point, n) at which a run is inside step i: the n-th pass of the point since the run began. */
function crashesIn(i: number): { point: CrashPoint; nth: number }[] {
  const before = reference.hits[i]!;
  const after = reference.hits[i + 1]!;
  return crashPointNames.flatMap((point) =>
    Array.from({ length: after[point] - before[point] }, (_, k) => ({ point, nth: before[point] + k + 1 })),
  );
}

async function crashAndResume(step: number, point: CrashPoint, nth: number): Promise<void> {
  const where = `SIGKILL at ${point}:${nth} (step ${step}, ${describeStep(crashWorkload[step]!)})`;
  const dir = tempDir("netledger-crash-");
  const config = configIn(dir);
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  const killed = await runWorkloadChild(configPath, { NETLEDGER_CRASH_AT: `${point}:${nth}` });
  expect(killed.signal, `${where}: the child reaches the point and dies there (stderr: ${killed.stderr})`).toBe("SIGKILL");

  const system = new ExternalSystem(config.external);
  try {
    const c = await openWith(config, system);
    let results: StepResult[];
    let view;
    try {
      results = await runSteps(c, crashWorkload);
      view = c.view();
      expect(c.verify().ok, `${where}: the log verifies`).toBe(true);
    } finally {
      await c.close();
    }
    expect(comparableView(view), `${where}: controller state`).toEqual(reference.view);
    expect(system.state(), `${where}: driver state`).toEqual(reference.external);
    expect(results.map(outcomeOf), `${where}: step results`).toEqual(reference.results.map(outcomeOf));
    expect(view.effects, `${where}: no effect left open or in doubt`).toEqual({ pending: [], inDoubt: [] });
    expect(addressLeaks(view, system.state()), `${where}: addresses`).toEqual([]);
    expect(effectLogProblems(config.db), `${where}: invariant 5`).toEqual([]);

    // Request ids end to end: what was committed before the crash is a repeat that appends nothing.
    const committedFirst = !(point === "before-commit" && nth === reference.hits[step]!["before-commit"] + 1);
    for (const [k, r] of results.entries()) {
      const repeat = k < step || (k === step && committedFirst);
      expect({ step: k, repeated: r.repeated, appended: r.repeated ? r.appended : "-" }, where).toEqual({
        step: k,
        repeated: repeat,
        appended: repeat ? 0 : "-",
      });
    }
    // At most the in-doubt call made again, and its undo sent first.
    const extra = system.calls().length - reference.calls;
    expect(extra, `${where}: extra driver calls`).toBeGreaterThanOrEqual(0);
    expect(extra, `${where}: extra driver calls`).toBeLessThanOrEqual(2);
  } finally {
    system.close();
  }
}

/** Runs the cases two at a time: two cores, and most of a case is a child starting up. */
async function inPairs<T>(items: T[], fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t).catch((e) => errors.push(e));
  };
  await Promise.all([worker(), worker()]);
  if (errors.length > 0) throw errors[0];
}

describe("a workload killed with SIGKILL at every crash point, then sent again", () => {
  it.each(crashWorkload.map((s, i) => [i, describeStep(s)] as const))(
    "step %i (%s) ends as the run without a crash",
    async (step) => {
      const cases = crashesIn(step);
      // Every step makes at least one driver call: it passes every named point.
      expect(new Set(cases.map((c) => c.point))).toEqual(new Set(crashPointNames));
      await inPairs(cases, (c) => crashAndResume(step, c.point, c.nth));
    },
  );
});
