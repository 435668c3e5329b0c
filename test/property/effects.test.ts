import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CommandInput } from "../../src/domain/commands.js";
import type { EntityOp as EffectOp } from "../../src/domain/effects/table.js";
import { entityOps as effectOps } from "../../src/domain/effects/table.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import type { Controller } from "../../src/index.js";
import { configIn, crashedRun, crashesIn, outcomeOf, referenceRun } from "../crash/reference.js";
import { openWith, runSteps, type Step, type StepResult } from "../crash/workload.js";
import { externalDriverName as ext, type Fault, ExternalSystem } from "../helpers/externalDriver.js";
import { addressLeaks, comparableView, effectLogProblems } from "../helpers/invariants.js";
import { rig, testRunDir } from "../helpers/rig.js";
import { tempDir } from "../helpers/tmp.js";

/**
 * Model runs for the effect invariants of docs/architecture.md, against the external test driver (state outside
 * the log, no idempotency): invariant 5 (every outcome has exactly one earlier intent; never two
 * effects in flight on one resource), checked on the log after random sequences with driver faults,
 * concurrent commands on several controllers and recover() interleaved; and invariant 6 (a crash
 * anywhere + recovery = the run without the crash), with the crash suite's workload in a child process
 * SIGKILLed at a crash point drawn from those the crash-free run of the same sequence passes.
 */

const networks = ["n1", "n2"];
const endpoints = ["e1", "e2", "e3"];
const containers = ["c1", "c2"];
const ops = Object.keys(effectOps) as EffectOp[];
const faults: Fault[] = ["throw", "hang", "garbage", "unavailable"];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

/** Commands on a few names, mostly ones that act on something real, with invalid ones mixed in. */
const commandArb: fc.Arbitrary<CommandInput> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant("network.create" as const), name: pick(networks), driver: fc.oneof({ weight: 6, arbitrary: fc.constant(ext) }, { weight: 1, arbitrary: pick(["null", "nosuch"]) }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("network.delete" as const), network: pick([...networks, "zz"]), force: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("sandbox.create" as const), containerId: pick(containers) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("sandbox.delete" as const), sandbox: pick(containers) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("endpoint.create" as const), network: pick(networks), name: pick(endpoints) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("endpoint.delete" as const), network: pick(networks), endpoint: pick(endpoints), force: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("endpoint.join" as const), network: pick(networks), endpoint: pick(endpoints), sandbox: pick(containers) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("endpoint.leave" as const), network: pick(networks), endpoint: pick(endpoints), sandbox: pick(containers) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("network.connect" as const), network: pick(networks), sandbox: pick(containers) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("network.disconnect" as const), network: pick(networks), sandbox: pick(containers), force: fc.boolean() }) },
);

type Action =
  /** A command on the controller `on` picks (modulo the controllers open). */
  | { kind: "command"; on: number; cmd: CommandInput }
  /** Two commands at once, on two controllers when two are open: they race for the log and the resources. */
  | { kind: "together"; a: CommandInput; b: CommandInput }
  /** A fault injected into (or, null, cleared from) every later call of one operation. */
  | { kind: "fault"; op: EffectOp; fault: Fault | null }
  | { kind: "open" }
  | { kind: "recover"; on: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant("command" as const), on: fc.nat(3), cmd: commandArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("together" as const), a: commandArb, b: commandArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("fault" as const), op: pick(ops), fault: fc.option(pick(faults), { nil: null }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "open" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("recover" as const), on: fc.nat(3) }) },
);

/** Every sequence starts with a network and two sandboxes, so that most of what follows acts on something real. */
const setup: CommandInput[] = [
  { type: "network.create", name: "n1", driver: ext },
  { type: "sandbox.create", containerId: "c1" },
  { type: "sandbox.create", containerId: "c2" },
];

/** Runs a command to its end; a refusal or a driver failure is an answer like any other here. */
async function attempt(c: Controller, cmd: CommandInput): Promise<void> {
  try {
    await c.run(cmd, { actor: "prop" });
  } catch (e) {
    if (!isNetledgerError(e)) throw e;
  }
}

describe("effect invariants under random command sequences", () => {
  it("gives every effect outcome exactly one earlier intent and never two effects in flight on one resource (invariant 5)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 40 }), async (actions) => {
        const r = rig();
        // A hung call is abandoned quickly, and an unavailable driver is tried again soon.
        const options = { callTimeoutMs: 30, backoffMs: { initial: 5, max: 20 } };
        const controllers = [await r.open(options)];
        const at = (n: number) => controllers[n % controllers.length]!;
        for (const cmd of setup) await attempt(at(0), cmd);
        for (const a of actions) {
          if (a.kind === "command") await attempt(at(a.on), a.cmd);
          else if (a.kind === "together") await Promise.all([attempt(at(0), a.a), attempt(at(1), a.b)]);
          else if (a.kind === "fault") {
            if (a.fault === null) delete r.system.faults[a.op];
            else r.system.faults[a.op] = a.fault;
          } else if (a.kind === "open") controllers.push(await r.open(options));
          else await at(a.on).recover();
        }
        // With the driver healthy again, whatever is still open settles.
        for (const op of ops) delete r.system.faults[op];
        for (const c of controllers) await c.recover();
        for (const c of controllers) await c.close();

        expect(effectLogProblems(r.db)).toEqual([]);
        const c = await r.open(options);
        await c.recover();
        expect(c.view().effects, "nothing left open once the driver answers").toEqual({ pending: [], inDoubt: [] });
        await c.close();
      }),
      { numRuns: 25 },
    );
  });

  it("ends a sequence killed at any crash point, recovered and sent on, as the run without the crash (invariant 6)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 2, maxLength: 6 }), fc.nat(), fc.boolean(), async (cmds, where, recoverFirst) => {
        const steps: Step[] = [...setup.slice(0, 2), ...cmds].map((cmd, i) => ({ requestId: `prop-${i}`, cmd }));
        const ref = await referenceRun(configIn(tempDir("netledger-prop-ref-"), testRunDir), steps);
        const crashes = steps.flatMap((_, step) => crashesIn(ref, step).map((c) => ({ step, ...c })));
        const { step, point, nth } = crashes[where % crashes.length]!;
        const at = `SIGKILL at ${point}:${nth} (step ${step}, ${steps[step]!.cmd.type})`;

        const config = configIn(tempDir("netledger-prop-crash-"), testRunDir);
        const killed = await crashedRun({ ...config, steps }, point, nth);
        expect(killed.signal, `${at}: the child reaches the point and dies there (stderr: ${killed.stderr})`).toBe("SIGKILL");

        // What a client does after the crash: reopen, and send the command it had in flight and those after it.
        const system = new ExternalSystem(config.external);
        try {
          const c = await openWith(config, system);
          let results: StepResult[];
          let view;
          try {
            if (recoverFirst) await c.recover();
            results = await runSteps(c, steps.slice(step));
            await c.recover();
            view = c.view();
            expect(c.verify().problems, `${at}: the log verifies`).toEqual([]);
          } finally {
            await c.close();
          }
          expect(comparableView(view), `${at}: controller state`).toEqual(ref.view);
          expect(system.state(), `${at}: driver state`).toEqual(ref.external);
          expect(results.map(outcomeOf), `${at}: step results`).toEqual(ref.results.slice(step).map(outcomeOf));
          expect(view.effects, `${at}: nothing left open or in doubt`).toEqual({ pending: [], inDoubt: [] });
          expect(addressLeaks(view, system.state()), `${at}: addresses`).toEqual([]);
          expect(effectLogProblems(config.db), `${at}: invariant 5`).toEqual([]);
        } finally {
          system.close();
        }
      }),
      { numRuns: 10 },
    );
  });
});

