import { describe, expect, it } from "vitest";
import { isNetledgerError } from "../../../src/domain/errors.js";
import type { DriverModule } from "../../../src/drivers/contract.js";
import { Controller } from "../../../src/index.js";
import { externalDriverName as ext } from "../../helpers/externalDriver.js";
import { rig, testRunDir, until } from "../../helpers/rig.js";
import { LocalApi } from "../../../src/api/local.js";
import { RecordingDriver } from "../../helpers/recordingDriver.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/**
 * Request ids end to end (docs/architecture.md, recovery): the same request sent again returns the first result and
 * appends nothing — a failure as much as a success — and one still in flight elsewhere is waited for.
 * (A repeat after a crash, which completes the command, is in test/crash.)
 */

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (!isNetledgerError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

describe("a repeated request id", () => {
  it("fails the same way as the first run when its driver call failed, and appends nothing", async () => {
    const r = rig();
    const c = await r.open();
    await c.newNetwork(ext, "n1");
    r.system.faults.createEndpoint = "throw";
    const cmd = { type: "endpoint.create", network: "n1", name: "e1" } as const;
    const first = await outcome(c.run(cmd, { requestId: "req-1" }));
    expect(first).toBe("DriverError: driver external: createEndpoint: the external system refuses createEndpoint (injected)");
    const before = (await r.events()).length;

    delete r.system.faults.createEndpoint;
    expect(await outcome(c.run(cmd, { requestId: "req-1" }))).toBe(first);
    const again = await r.open();
    expect(await outcome(again.run(cmd, { requestId: "req-1" }))).toBe(first);
    expect((await r.events()).length).toBe(before);
    expect(r.system.callCounts().createEndpoint).toBe(1);
  });

  it("waits for the first run still in flight in another live controller, and returns its result", async () => {
    const r = rig();
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const inner = r.system.networkDriver();
    const held: DriverModule = {
      init(register) {
        register(ext, { ...inner, createEndpoint: async (req, call) => (await gate, inner.createEndpoint(req, call)) }, {
          dataScope: "local",
          sideEffects: true,
          usesIpam: false,
        });
      },
    };
    const a = await Controller.open({ db: r.db, runDir: testRunDir, drivers: [held], sandboxDriver: r.system.sandboxDriver() });
    try {
      await a.newNetwork(ext, "n1");
      const cmd = { type: "endpoint.create", network: "n1", name: "e1" } as const;
      const first = a.run(cmd, { requestId: "req-2" });
      await until(() => a.view().effects.pending.length === 1);

      // Another controller (another process, in effect) sends the same request: the call is not made again.
      const b = await r.open();
      const second = b.run(cmd, { requestId: "req-2" });
      let settled = false;
      void second.then(() => (settled = true));
      await new Promise((res) => setTimeout(res, 30));
      expect(settled, "the repeat waits while the first run's call is in flight").toBe(false);
      release();
      const [ra, rb] = await Promise.all([first, second]);
      expect(rb).toMatchObject({ repeated: true, events: [], entity: ra.entity });
      expect(b.endpoint(ra.entity!.id)!.view().state).toBe("created");
      expect(r.system.callCounts().createEndpoint).toBe(1);
    } finally {
      await a.close();
    }
  });
});

describe("a repeated request id whose entity was deleted since", () => {
  it("answers with the first result, not NotFound", async () => {
    const api = await LocalApi.open({ db: tempDb(), runDir: tempDir(), actor: "test" });
    try {
      const first = await api.createNetwork({ name: "n1", driver: "null" }, { requestId: "req-net" });
      const ep = await api.createEndpoint("n1", { name: "e1" }, { requestId: "req-ep" });
      await api.deleteEndpoint("n1", "e1", false);
      expect(await api.createEndpoint("n1", { name: "e1" }, { requestId: "req-ep" })).toEqual(ep);
      await api.deleteNetwork("n1", false);
      expect(await api.createNetwork({ name: "n1", driver: "null" }, { requestId: "req-net" })).toEqual(first);
      // Nothing was made again.
      expect(await api.networks()).toEqual([]);

      // With a driver that has effects, the first result is the endpoint once its call succeeded.
      api.controller.registerDriver("rec", new RecordingDriver(), { dataScope: "local", sideEffects: true, usesIpam: false });
      await api.createNetwork({ name: "n2", driver: "rec" });
      const made = await api.createEndpoint("n2", { name: "e2" }, { requestId: "req-ep2" });
      expect(made.state).toBe("created");
      await api.deleteEndpoint("n2", "e2", false);
      expect(await api.createEndpoint("n2", { name: "e2" }, { requestId: "req-ep2" })).toEqual(made);
    } finally {
      await api.close();
    }
  });
});
