import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { DriverModule } from "../../../src/drivers/contract.js";
import { bootIdEnvVar } from "../../../src/effects/processIdentity.js";
import { Controller } from "../../../src/index.js";
import { runWorkloadChild } from "../../helpers/child.js";
import { cli } from "../../helpers/cli.js";
import { externalDriverName as ext, externalDrivers, type ExternalSystem } from "../../helpers/externalDriver.js";
import { rig, testRunDir } from "../../helpers/rig.js";
import { failure, until } from "../../helpers/wait.js";
import type { Step, WorkloadConfig } from "../../crash/workload.js";

/**
 * Recovery: effects for a driver that is unavailable stay pending and are retried with back-off, open
 * never waits on a driver, a reboot is recorded and makes the earlier boot's effects in doubt, close
 * finishes what is in flight, and `netledger recover` says what it did.
 */

/** The external network driver with one operation held until `release()`: a call in flight, on demand. */
function holding(system: ExternalSystem, op: "createNetwork" | "createEndpoint" | "join"): { module: DriverModule; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inner = system.networkDriver();
  const call = inner[op] as (req: unknown, call: unknown) => Promise<unknown>;
  const module: DriverModule = {
    init(register) {
      register(
        ext,
        { ...inner, [op]: async (req: unknown, c: unknown) => (await gate, call.call(inner, req, c)) },
        { dataScope: "local", sideEffects: true, usesIpam: false },
      );
    },
  };
  return { module, release };
}

/** Whether a promise is still unsettled after the driver has had time to answer (the test's order, never a timing bound). */
async function stillWaiting(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((res) => setTimeout(res, 20));
  return !settled;
}

/** Crashes the workload child with the given steps at a point, on the rig's database. */
async function crashChild(db: string, external: string, steps: Step[], at: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const config: WorkloadConfig = { db, external, runDir: testRunDir, steps };
  const path = `${db}.workload.json`;
  writeFileSync(path, JSON.stringify(config));
  const exit = await runWorkloadChild(path, { NETLEDGER_CRASH_AT: at, ...env });
  expect(exit.signal, exit.stderr).toBe("SIGKILL");
}

const createN1: Step[] = [{ requestId: "r-n1", cmd: { type: "network.create", name: "n1", driver: ext } }];

/** No effect open: neither pending nor in doubt (one being taken over is in doubt until its attempt is recorded). */
const nothingOpen = (c: { view(): { effects: { pending: unknown[]; inDoubt: unknown[] } } }) =>
  c.view().effects.pending.length === 0 && c.view().effects.inDoubt.length === 0;

const savedBoot = process.env[bootIdEnvVar];
afterEach(() => {
  if (savedBoot === undefined) delete process.env[bootIdEnvVar];
  else process.env[bootIdEnvVar] = savedBoot;
});

describe("an unavailable driver", () => {
  it("leaves the effect pending, fails the command at once, and completes it with back-off once the driver answers", async () => {
    const r = rig();
    const c = await r.open({ backoffMs: { initial: 5, max: 20 } });
    const n = await c.newNetwork(ext, "n1");
    r.system.faults.createEndpoint = "unavailable";
    const err = await failure(n.createEndpoint("e1"));
    expect(err.code).toBe("PluginUnavailable");
    expect(err.message).toBe(
      'driver external: createEndpoint: the external system is not reachable; the call stays pending and is retried with back-off (run "netledger recover" once the driver is back)',
    );
    expect(c.view().effects.pending).toMatchObject([{ op: "createEndpoint", attempts: 1 }]);
    expect(n.endpointByName("e1")!.view().state).toBe("creating");
    // The rest of the controller works meanwhile.
    await c.newNetwork("null", "n0");

    delete r.system.faults.createEndpoint;
    await until(() => nothingOpen(c));
    expect(n.endpointByName("e1")!.view().state).toBe("created");
    // Back-off retries are not attempts of their own: the call was received once, and the log has no takeover.
    expect(r.system.callCounts().createEndpoint).toBe(1);
    expect((await r.events()).filter((e) => e.type === "effect.attempted")).toEqual([]);
  });

  it("is not waited on by open: a process without the driver leaves the call pending, one with it makes it after opening", async () => {
    const r = rig();
    await (await r.open()).newNetwork(ext, "n1");
    // The CLI, say: it has no external driver, yet the endpoint it asks for owes that driver a call.
    const without = await Controller.open({ db: r.db, runDir: testRunDir, backoffMs: { initial: 5, max: 20 } });
    const err = await failure(without.run({ type: "endpoint.create", network: "n1", name: "e1" }));
    expect(err.code).toBe("PluginUnavailable");
    expect(err.message).toMatch(/^driver external: createEndpoint: not available: no built-in driver, registered driver or plugin by that name; the call stays pending/);
    await without.close();

    const held = holding(r.system, "createEndpoint");
    const c = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [held.module], sandboxDriver: r.system.sandboxDriver() });
    try {
      // Open has returned while the call it started is held by the driver: the effect is taken over, still open.
      expect(c.view().effects.pending).toMatchObject([{ op: "createEndpoint", attempts: 2 }]);
      held.release();
      await until(() => nothingOpen(c));
      expect(c.networkByName("n1")!.endpointByName("e1")!.view().state).toBe("created");
      expect(r.system.state().endpoints).toHaveProperty(c.networkByName("n1")!.endpointByName("e1")!.id);
    } finally {
      await c.close();
    }
  });
});

describe("close", () => {
  it("waits for the calls in flight and records their outcomes before it returns", async () => {
    const r = rig();
    const held = holding(r.system, "createEndpoint");
    const c = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [held.module], sandboxDriver: r.system.sandboxDriver() });
    const n = await c.newNetwork(ext, "n1");
    const creating = n.createEndpoint("e1");
    await until(() => c.view().effects.pending.length === 1);
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(closed, "close returns only once the held call has answered").toBe(false);
    held.release();
    await closing;
    await creating;
    const after = await r.open({ recover: false });
    expect(after.view().effects).toEqual({ pending: [], inDoubt: [] });
    expect(after.networkByName("n1")!.endpointByName("e1")!.view().state).toBe("created");
  });
});

describe("a reboot", () => {
  it("is recorded as host.booted when the boot id changes, and the earlier boot's effect is resolved", async () => {
    const r = rig();
    await crashChild(r.db, r.system.file, createN1, "after-call:1", { [bootIdEnvVar]: "boot-a" });
    process.env[bootIdEnvVar] = "boot-b";
    const c = await r.open();
    await until(() => nothingOpen(c));
    expect(c.networkByName("n1")!.view().state).toBe("active");
    const events = await r.events();
    expect(events.filter((e) => e.type === "host.booted").map((e) => e.data)).toEqual([{ boot: "boot-b", previous: "boot-a" }]);
    expect(events.map((e) => e.type)).toEqual([
      "network.created",
      "effect.requested",
      "host.booted",
      "effect.attempted",
      "effect.succeeded",
    ]);
    // The network was created by the dead attempt, deleted by the in-doubt policy's undo and created again: one remains.
    expect(Object.keys(r.system.state().networks)).toEqual([c.networkByName("n1")!.id]);
    expect(r.system.calls().map((x) => x.op)).toEqual(["createNetwork", "deleteNetwork", "createNetwork"]);
  });

  it("puts in doubt an effect whose process is still alive but of an earlier boot, and a late outcome of it changes nothing", async () => {
    const r = rig();
    process.env[bootIdEnvVar] = "boot-a";
    const held = holding(r.system, "createEndpoint");
    const before = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [held.module], sandboxDriver: r.system.sandboxDriver() });
    const n = await before.newNetwork(ext, "n1");
    const creating = n.createEndpoint("e1");
    await until(() => before.view().effects.pending.length === 1);

    process.env[bootIdEnvVar] = "boot-b";
    const after = await r.open();
    await until(() => after.view().effects.pending.length + after.view().effects.inDoubt.length === 0);
    expect(after.networkByName("n1")!.endpointByName("e1")!.view().state).toBe("created");

    // The old call answers at last: its outcome is refused (attempt 1 was superseded), the command still succeeds.
    held.release();
    await creating;
    await before.close();
    const types = (await r.events()).map((e) => e.type);
    expect(types.filter((t) => t === "effect.succeeded" || t === "effect.failed")).toHaveLength(2); // the network's and the endpoint's
    expect(types).toContain("host.booted");
    // Two CreateEndpoint calls reached the driver (the old one and the retry) but one endpoint exists.
    expect(Object.keys(r.system.state().endpoints)).toHaveLength(1);
  });
});

describe("recover()", () => {
  it("waits for the effects open took over and lists them, when their calls are still in flight", async () => {
    const r = rig();
    await crashChild(r.db, r.system.file, createN1, "after-commit:1");
    const hold = holding(r.system, "createNetwork");
    const c = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [hold.module], sandboxDriver: r.system.sandboxDriver() });
    try {
      // Open took the effect over and its call is held: recover() must not return with it still open.
      const recovering = c.recover();
      expect(await stillWaiting(recovering), "recover() waits for the call open started").toBe(true);
      hold.release();
      const report = await recovering;
      expect(report.resolved).toMatchObject([{ op: "createNetwork", attempts: 2, outcome: "succeeded" }]);
      expect(c.view().effects).toEqual({ pending: [], inDoubt: [] });
      expect(c.networkByName("n1")!.view().state).toBe("active");
    } finally {
      hold.release();
      await c.close();
    }
  });

  it("waits for what the outcomes it resolves lead to: a connect's join once its endpoint is made", async () => {
    const r = rig();
    const steps: Step[] = [
      ...createN1,
      { requestId: "r-c1", cmd: { type: "sandbox.create", containerId: "c1" } },
      { requestId: "r-connect", cmd: { type: "network.connect", network: "n1", sandbox: "c1" } },
    ];
    // The third commit is the connect's: its CreateEndpoint intent is durable, no call made.
    await crashChild(r.db, r.system.file, steps, "after-commit:3");
    const hold = holding(r.system, "join");
    const c = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [hold.module], sandboxDriver: r.system.sandboxDriver(), recover: false });
    try {
      const recovering = c.recover();
      expect(await stillWaiting(recovering), "recover() waits for the join the endpoint's outcome asked for").toBe(true);
      hold.release();
      const report = await recovering;
      expect(report.resolved).toMatchObject([
        { op: "createEndpoint", outcome: "succeeded" },
        { op: "join", outcome: "succeeded" },
      ]);
      expect(c.view().effects).toEqual({ pending: [], inDoubt: [] });
      expect(c.view().endpoints.map((e) => e.state)).toEqual(["joined"]);
      expect(Object.keys(r.system.state().joins)).toHaveLength(1);
    } finally {
      hold.release();
      await c.close();
    }
  });
});

describe("a repeated request id", () => {
  it("committed with the outcome that requests its command's next call does not take that call over from itself", async () => {
    const r = rig();
    const hold = holding(r.system, "createEndpoint");
    const c = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [hold.module], sandboxDriver: r.system.sandboxDriver() });
    try {
      await c.newNetwork(ext, "n1");
      await c.newSandbox("c1");
      const connect = { type: "network.connect", network: "n1", sandbox: "c1" } as const;
      const first = c.run(connect, { requestId: "r-connect" });
      await until(() => c.view().effects.pending.length === 1);
      // The call answers and the request is sent again at once: CreateEndpoint's outcome (which
      // requests the Join, root r-connect) and the repeat are committed in one batch.
      hold.release();
      const again = await c.run(connect, { requestId: "r-connect" });
      await first;
      expect(again.repeated).toBe(true);
      expect(c.view().effects).toEqual({ pending: [], inDoubt: [] });
      expect(c.view().endpoints.map((e) => e.state)).toEqual(["joined"]);
      expect((await r.events()).filter((e) => e.type === "effect.attempted")).toEqual([]);
    } finally {
      hold.release();
      await c.close();
    }
  });
});

describe("netledger recover", () => {
  it("lists the reboot and the effects it resolved, and then has nothing to recover", async () => {
    const r = rig();
    await crashChild(r.db, r.system.file, createN1, "after-call:1", { [bootIdEnvVar]: "boot-a" });
    process.env[bootIdEnvVar] = "boot-b";
    const opts = { ...externalDrivers(r.system), runDir: testRunDir };
    const first = await cli(["--db", r.db, "recover"], {}, opts);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const networkId = (await r.events())[0]!.stream;
    expect(first.stdout).toBe(
      "host rebooted (boot id boot-a → boot-b): effects of the earlier boot are in doubt\n" +
        `effect 2: external createNetwork on ${networkId.slice(0, 12)}: attempt 2: succeeded\n`,
    );
    const again = await cli(["--db", r.db, "--json", "recover"], {}, opts);
    expect(JSON.parse(again.stdout)).toEqual({ boot: null, resolved: [], left: [] });
    expect((await cli(["--db", r.db, "recover"], {}, opts)).stdout).toBe("nothing to recover\n");
  });

  it("reports an effect whose driver is still unavailable as pending", async () => {
    const r = rig();
    await crashChild(r.db, r.system.file, createN1, "after-commit:1");
    const without = await cli(["--db", r.db, "--json", "recover"], {}, { runDir: testRunDir, backoffMs: { initial: 5, max: 10 } });
    const report = JSON.parse(without.stdout) as { resolved: { outcome: string; error?: { code: string } }[] };
    expect(report.resolved).toMatchObject([{ op: "createNetwork", outcome: "pending", error: { code: "PluginUnavailable" } }]);
    // Once a process has the driver, the same effect is resolved.
    const withDriver = await cli(["--db", r.db, "recover"], {}, { ...externalDrivers(r.system), runDir: testRunDir });
    expect(withDriver.stdout).toMatch(/^effect 2: external createNetwork on [0-9a-f]{12}: attempt 3: succeeded\n$/);
  });
});
