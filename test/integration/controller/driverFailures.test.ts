import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";
import { cli } from "../../helpers/cli.js";
import { externalDriverName as ext, externalDrivers } from "../../helpers/externalDriver.js";
import { driverMismatch } from "../../helpers/invariants.js";
import { rig, testRunDir } from "../../helpers/rig.js";
import { failure } from "../../helpers/wait.js";

/**
 * A driver that throws, hangs or answers garbage: the effect fails with a classified error, the
 * compensation runs through events, the caller gets a message naming the driver and the call, and the
 * controller goes on working.
 */

async function withNetwork(opts: { callTimeoutMs?: number } = {}) {
  const r = rig();
  const c = await r.open(opts);
  const n = await c.newNetwork(ext, "n1");
  return { ...r, c, n };
}

describe("a driver that fails", () => {
  it("fails CreateEndpoint with a DriverError naming the driver and the call, leaves no endpoint, and a retry of the name succeeds", async () => {
    const { c, n, system, events } = await withNetwork();
    system.faults.createEndpoint = "throw";
    const err = await failure(n.createEndpoint("e1"));
    expect(err.code).toBe("DriverError");
    expect(err.message).toBe("driver external: createEndpoint: the external system refuses createEndpoint (injected)");
    // As libnetwork: the refused create leaves nothing, and its name is free.
    expect(n.endpointByName("e1")).toBeUndefined();
    expect(c.view().endpoints).toEqual([]);
    const failed = (await events()).find((e) => e.type === "effect.failed")!;
    expect(failed.data).toMatchObject({ error: { code: "DriverError" } });
    // The driver said no: nothing to undo, so no inverse call.
    expect((await events()).filter((e) => e.type === "effect.requested" && e.data.inverse)).toEqual([]);

    delete system.faults.createEndpoint;
    await n.createEndpoint("e1");
    await n.createEndpoint("e2");
    expect(n.endpoints().map((e) => e.name).sort()).toEqual(["e1", "e2"]);
    // Nothing was ever sent for the endpoint the driver never made.
    expect(system.calls().map((x) => x.op)).toEqual(["createNetwork", "createEndpoint", "createEndpoint", "createEndpoint"]);
    expect(driverMismatch(c.view(), system.state(), ext)).toEqual([]);
  });

  it("times out a hung CreateEndpoint, fails it with Timeout, and undoes what the driver may have made", async () => {
    const { c, n, system, events } = await withNetwork({ callTimeoutMs: 50 });
    system.faults.createEndpoint = "hang";
    const err = await failure(n.createEndpoint("e1"));
    expect(err.code).toBe("Timeout");
    expect(err.message).toMatch(/^driver external: createEndpoint: no answer within 50 ms/);
    // Undone by its written policy, then gone.
    expect(n.endpointByName("e1")).toBeUndefined();
    // The hung call had made the endpoint; the inverse DeleteEndpoint removed it again.
    const undo = (await events()).find((e) => e.type === "effect.requested" && e.data.inverse)!;
    expect(undo.data).toMatchObject({ op: "deleteEndpoint", inverse: true });
    expect(system.state().endpoints).toEqual({});
    expect(system.calls().map((x) => x.op)).toEqual(["createNetwork", "createEndpoint", "deleteEndpoint"]);
    expect(c.view().effects).toEqual({ pending: [], inDoubt: [] });
  });

  it("fails a Join answered with garbage as BadResponse, leaves the endpoint created, and sends Leave", async () => {
    const { c, n, system } = await withNetwork();
    const ep = await n.createEndpoint("e1");
    const sb = await c.newSandbox("c1");
    system.faults.join = "garbage";
    const err = await failure(ep.join(sb));
    expect(err.code).toBe("BadResponse");
    expect(err.message).toMatch(/^driver external: join: answered something that is not a join result \(interfaceName: /);
    expect(ep.view()).toMatchObject({ state: "created", sandbox: null });
    expect(system.state().joins).toEqual({});
    delete system.faults.join;
    await ep.join(sb);
    expect(ep.view().state).toBe("joined");
    expect(driverMismatch(c.view(), system.state(), ext)).toEqual([]);
  });

  it("rolls a connect back when its Join fails: the endpoint is removed from the controller and the driver", async () => {
    const { c, system } = await withNetwork();
    await c.newSandbox("c1");
    system.faults.join = "throw";
    const err = await failure(c.run({ type: "network.connect", network: "n1", sandbox: "c1" }));
    expect(err.message).toBe("driver external: join: the external system refuses join (injected)");
    expect(c.view().endpoints).toEqual([]);
    expect(system.state().endpoints).toEqual({});
    expect(c.view().effects).toEqual({ pending: [], inDoubt: [] });
  });

  it("rolls a connect back when its Join times out: Leave is sent first, then DeleteEndpoint", async () => {
    const { c, system } = await withNetwork({ callTimeoutMs: 50 });
    await c.newSandbox("c1");
    system.faults.join = "hang";
    const err = await failure(c.run({ type: "network.connect", network: "n1", sandbox: "c1" }));
    expect(err.code).toBe("Timeout");
    expect(c.view().endpoints).toEqual([]);
    expect(system.state()).toMatchObject({ endpoints: {}, joins: {} });
    expect(system.calls().map((x) => x.op).slice(-4)).toEqual(["createEndpoint", "join", "leave", "deleteEndpoint"]);
  });

  it("stops a sandbox delete whose endpoint cannot leave: the sandbox stays ready and can be deleted later", async () => {
    const { c, n, system, events } = await withNetwork();
    const ep = await n.createEndpoint("e1");
    const sb = await c.newSandbox("c1");
    await ep.join(sb);
    system.faults.leave = "throw";
    const err = await failure(sb.delete());
    expect(err.message).toBe("driver external: leave: the external system refuses leave (injected)");
    expect(sb.view()).toMatchObject({ state: "ready", endpoints: [ep.id] });
    expect(ep.view()).toMatchObject({ state: "joined", sandbox: sb.id });
    expect((await events()).map((e) => e.type)).toContain("sandbox.deleteAborted");
    // A failed leave forgets what was to follow it: the endpoint is not deleted behind the user's back.
    expect(C.get(c.current().endpoints, ep.id)!.then).toBeNull();

    delete system.faults.leave;
    await sb.delete();
    expect(c.view().sandboxes).toEqual([]);
    expect(c.view().endpoints).toEqual([]);
    expect(driverMismatch(c.view(), system.state(), ext)).toEqual([]);
  });

  it("stops a forced network delete whose endpoint cannot be deleted: the network stays active", async () => {
    const { c, n, system } = await withNetwork();
    await n.createEndpoint("e1");
    system.faults.deleteEndpoint = "throw";
    const err = await failure(n.delete({ force: true }));
    expect(err.code).toBe("DriverError");
    expect(n.view().state).toBe("active");
    expect(n.endpointByName("e1")!.view().state).toBe("failed");

    delete system.faults.deleteEndpoint;
    await n.delete({ force: true });
    expect(c.view().networks).toEqual([]);
    expect(system.state()).toMatchObject({ networks: {}, endpoints: {} });
  });

  it("prints `netledger: driver X: createEndpoint: …` and exits 1 on the CLI, and the next command works", async () => {
    const { db, system } = await withNetwork();
    system.faults.createEndpoint = "throw";
    const opts = { ...externalDrivers(system), runDir: testRunDir };
    const r = await cli(["--db", db, "endpoint", "create", "n1", "e1"], {}, opts);
    expect(r).toMatchObject({
      code: 1,
      stderr: "netledger: driver external: createEndpoint: the external system refuses createEndpoint (injected)\n",
    });
    const j = await cli(["--db", db, "--json", "endpoint", "create", "n1", "e2"], {}, opts);
    expect(JSON.parse(j.stderr)).toEqual({
      error: { code: "DriverError", message: "driver external: createEndpoint: the external system refuses createEndpoint (injected)" },
    });
    delete system.faults.createEndpoint;
    const ok = await cli(["--db", db, "endpoint", "create", "n1", "e3"], {}, opts);
    expect(ok.code).toBe(0);
  });
});
