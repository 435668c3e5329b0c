import { beforeAll, describe, expect, it } from "vitest";
import { type CrashPoint, crashPointNames } from "../../src/effects/crashPoints.js";
import { ExternalSystem } from "../helpers/externalDriver.js";
import { addressLeaks, comparableView, effectLogProblems } from "../helpers/invariants.js";
import { tempDir } from "../helpers/tmp.js";
import { configIn, crashedRun, crashesIn, outcomeOf, type ReferenceRun, referenceRun } from "./reference.js";
import { crashWorkload, describeStep, openWith, runSteps, type StepResult } from "./workload.js";

/**
 * invariant 6 of docs/architecture.md, exhaustively: the workload runs in a child process that is killed with
 * SIGKILL at every named crash point of every step (every time the step passes the point), then is
 * sent again from the start in a new process. The end state — the controller's views, the external
 * driver's own state, each step's result — must equal the crash-free run's; no effect is left open,
 * no address leaked, and the log verifies.
 */


let reference: ReferenceRun;

/**
 * Sandbox keys are paths under the run directory, so every run uses the same one. Nothing is made
 * there: the external driver keeps namespaces as rows of its own.
 */
const runDir = "/run/netledger-crash-test";

beforeAll(async () => {
  reference = await referenceRun(configIn(tempDir("netledger-crash-ref-"), runDir), crashWorkload);
  const { results } = reference;
  expect(results.every((r) => r.ok), "the crash-free run succeeds at every step").toBe(true);
  expect(reference.view.effects).toEqual({ pending: [], inDoubt: [] });
});

async function crashAndResume(step: number, point: CrashPoint, nth: number): Promise<void> {
  const where = `SIGKILL at ${point}:${nth} (step ${step}, ${describeStep(crashWorkload[step]!)})`;
  const config = configIn(tempDir("netledger-crash-"), runDir);
  const killed = await crashedRun(config, point, nth);
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
      const cases = crashesIn(reference, step);
      // Every step makes at least one driver call: it passes every named point.
      expect(new Set(cases.map((c) => c.point))).toEqual(new Set(crashPointNames));
      await inPairs(cases, (c) => crashAndResume(step, c.point, c.nth));
    },
  );
});
