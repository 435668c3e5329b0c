import { join } from "node:path";
import { afterEach } from "vitest";
import type { OpenOptions } from "../../src/controller/controller.js";
import type { StoredEvent } from "../../src/domain/events.js";
import { Controller } from "../../src/index.js";
import { externalDrivers, ExternalSystem } from "./externalDriver.js";
import { tempDir } from "./tmp.js";

/** Sandbox keys are paths under it; nothing is made there (the external driver keeps namespaces as rows). */
export const testRunDir = "/run/netledger-test";

export interface Rig {
  db: string;
  system: ExternalSystem;
  /** Opens (another) controller on the rig's database with the external drivers; closed after the test. */
  open(opts?: Partial<OpenOptions>): Promise<Controller>;
  /** Every event in the log, read fresh. */
  events(): Promise<StoredEvent[]>;
}

const openControllers: Controller[] = [];
const openSystems: ExternalSystem[] = [];

/** A database and an external system in a fresh directory, both closed after the test. */
export function rig(): Rig {
  const dir = tempDir();
  const db = join(dir, "netledger.db");
  const system = new ExternalSystem(join(dir, "external.db"));
  openSystems.push(system);
  const open = async (opts: Partial<OpenOptions> = {}) => {
    const c = await Controller.open({ db, runDir: testRunDir, actor: "test", ...externalDrivers(system), ...opts });
    openControllers.push(c);
    return c;
  };
  const events = async () => {
    const c = await Controller.open({ db, readonly: true, runDir: testRunDir });
    try {
      const out: StoredEvent[] = [];
      for await (const e of c.events()) out.push(e);
      return out;
    } finally {
      await c.close();
    }
  };
  return { db, system, open, events };
}

afterEach(async () => {
  while (openControllers.length) await openControllers.pop()!.close();
  while (openSystems.length) openSystems.pop()!.close();
});

export { until } from "./wait.js";
