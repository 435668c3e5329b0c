import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { CommandInput } from "../../src/domain/commands.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import { Controller } from "../../src/index.js";
import { externalDriverName, externalDrivers, ExternalSystem } from "../helpers/externalDriver.js";

/**
 * The crash workload: commands of every kind against the external test driver, each with a fixed
 * request id (so the ids of what it creates are fixed too, and sending it again is a repeat). Run to
 * the end without a crash it is the reference; killed anywhere and run again from the start, it must
 * end in the same state (invariant 6 of docs/architecture.md).
 *
 * As a child process: `node --import tsx test/crash/workload.ts CONFIG.json` runs the steps of the
 * config (default: crashWorkload) with the crash point NETLEDGER_CRASH_AT names, if any.
 */
export interface Step {
  requestId: string;
  cmd: CommandInput;
}

export interface StepResult {
  ok: boolean;
  /** The error code when the step failed. */
  code?: string;
  repeated: boolean;
  /** Events the command itself appended (continuations and outcomes not counted). */
  appended: number;
}

export interface WorkloadConfig {
  db: string;
  external: string;
  runDir: string;
  steps?: Step[];
}

const ext = externalDriverName;

const kinds: CommandInput[] = [
  { type: "network.create", name: "n1", driver: ext },
  { type: "network.create", name: "n2", driver: ext },
  { type: "sandbox.create", containerId: "c1" },
  { type: "sandbox.create", containerId: "c2" },
  { type: "endpoint.create", network: "n1", name: "e1" },
  { type: "endpoint.join", network: "n1", endpoint: "e1", sandbox: "c1" },
  { type: "network.connect", network: "n2", sandbox: "c1" },
  { type: "endpoint.leave", network: "n1", endpoint: "e1", sandbox: "c1" },
  { type: "network.connect", network: "n1", sandbox: "c2" },
  { type: "network.disconnect", network: "n1", sandbox: "c2" },
  { type: "endpoint.join", network: "n1", endpoint: "e1", sandbox: "c2" },
  { type: "endpoint.create", network: "n2", name: "e2" },
  { type: "endpoint.delete", network: "n2", endpoint: "e2" },
  { type: "endpoint.create", network: "n2", name: "e3" },
  // e1 is joined to c2: it leaves and is deleted, then the namespace goes.
  { type: "sandbox.delete", sandbox: "c2" },
  { type: "network.create", name: "n3", driver: ext },
  { type: "endpoint.create", network: "n3", name: "e4" },
  // A forced delete: e4 is deleted first, then the network.
  { type: "network.delete", network: "n3", force: true },
];

/** Ends with n1 (empty), n2 (c1's endpoint joined, e3 created) and c1: a state worth comparing. */
export const crashWorkload: Step[] = kinds.map((cmd, i) => ({ requestId: `crash-${i}`, cmd }));

/** A short label for a step, for test names and messages. */
export function describeStep(s: Step): string {
  const c = s.cmd as Record<string, unknown>;
  const args = ["network", "name", "endpoint", "sandbox", "containerId"].filter((k) => typeof c[k] === "string").map((k) => c[k]);
  return `${s.cmd.type} ${args.join(" ")}${c["force"] ? " --force" : ""}`;
}

/** Runs steps in order, each to completion; a refused or failed step is recorded and the next one runs. */
export async function runSteps(c: Controller, steps: readonly Step[], onStep?: (i: number) => void): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [i, s] of steps.entries()) {
    onStep?.(i);
    try {
      const r = await c.run(s.cmd, { requestId: s.requestId, actor: "workload" });
      results.push({ ok: true, repeated: r.repeated, appended: r.events.length });
    } catch (e) {
      if (!isNetledgerError(e)) throw e;
      results.push({ ok: false, code: e.code, repeated: false, appended: 0 });
    }
  }
  return results;
}

/** Opens the controller on a database with the external system's drivers. */
export async function openWith(config: Omit<WorkloadConfig, "steps">, system: ExternalSystem): Promise<Controller> {
  return Controller.open({ db: config.db, runDir: config.runDir, actor: "workload", ...externalDrivers(system) });
}

async function main(configPath: string): Promise<void> {
  const config = JSON.parse(readFileSync(configPath, "utf8")) as WorkloadConfig;
  const system = new ExternalSystem(config.external);
  const c = await openWith(config, system);
  const results = await runSteps(c, config.steps ?? crashWorkload);
  await c.close();
  system.close();
  process.stdout.write(JSON.stringify(results) + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]!).catch((e) => {
    process.stderr.write(`workload: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  });
}
