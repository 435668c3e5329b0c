import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/controller.js";
import { disagreements } from "../../helpers/pluginServer/agreement.js";
import { PluginProcess, pluginWithCli } from "../../helpers/pluginServer/fixture.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const controllers: Controller[] = [];
afterEach(async () => {
  while (controllers.length) await controllers.pop()!.close();
});

/**
 * `recoverOnly`: the back-off is long enough that only recover() tries an unavailable plugin again, so a
 * test of what recover sends does not race a back-off retry that fires on its own on a busy machine.
 */
async function setup(name: string, opts: { timeoutMs?: number; recoverOnly?: boolean } = {}) {
  const dir = tempDir("netledger-plugins-");
  const plugin = new PluginProcess(dir, name);
  await plugin.start();
  const c = await Controller.open({
    db: tempDb(),
    pluginDirs: [dir],
    backoffMs: opts.recoverOnly ? { initial: 600_000, max: 600_000 } : { initial: 20, max: 100 },
    ...(opts.timeoutMs ? { pluginTimeoutMs: opts.timeoutMs } : {}),
  });
  controllers.push(c);
  const n = await c.newNetwork(name, "n1", { ipam: { config: [{ subnet: "10.88.0.0/24" }] } });
  const sb = await c.newSandbox("c1", { netns: null });
  return { dir, plugin, c, n, sb };
}

/** Waits until no effect is open (compensations included), then the state. */
async function settled(c: Controller) {
  for (let i = 0; i < 500; i++) {
    const v = c.view();
    if (v.effects.pending.length + v.effects.inDoubt.length === 0) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`effects still open: ${JSON.stringify(c.view().effects)}`);
}

describe("a plugin that refuses a create", () => {
  it("leaves no endpoint when CreateEndpoint is refused, sends nothing for it, and a retry of the name succeeds", async () => {
    const { c, n, plugin } = await setup("refuser");
    plugin.setFault("NetworkDriver.CreateEndpoint", { mode: "fail" });
    await expect(n.createEndpoint("e1")).rejects.toMatchObject({ code: "DriverError" });
    const v = await settled(c);
    expect(v.endpoints).toEqual([]);
    expect(plugin.methods().filter((m) => m === "NetworkDriver.DeleteEndpoint")).toEqual([]);
    plugin.clearFaults();
    const again = await n.createEndpoint("e1");
    expect(again.view()).toMatchObject({ name: "e1", state: "created" });
    expect(disagreements(c.view(), "refuser", plugin.holdings())).toEqual([]);
    expect(c.verify().ok).toBe(true);
  });
});

describe("plugin answers that are malformed, too large or too slow", () => {
  it("fails CreateEndpoint on a malformed answer with a BadResponse naming plugin and call, deletes the endpoint on the plugin, and frees its address", async () => {
    const { c, n, plugin } = await setup("badjson");
    plugin.setFault("NetworkDriver.CreateEndpoint", { mode: "malformed" });
    await expect(n.createEndpoint("e1")).rejects.toMatchObject({
      code: "BadResponse",
      message: expect.stringMatching(/plugin badjson: NetworkDriver.CreateEndpoint: answered something that is not JSON/),
    });
    const v = await settled(c);
    expect(plugin.methods().slice(-2)).toEqual(["NetworkDriver.CreateEndpoint", "NetworkDriver.DeleteEndpoint"]);
    expect(v.endpoints).toEqual([]); // undone by its policy, then gone: the name is free
    expect(disagreements(v, "badjson", plugin.holdings())).toEqual([]);
    plugin.clearFaults();
    const e2 = await n.createEndpoint("e2");
    expect(e2.view().state).toBe("created");
    expect(c.verify().ok).toBe(true);
  });

  it("fails a Join answered with more than 1 MiB, sends Leave, and keeps the endpoint created", async () => {
    const { c, n, sb, plugin } = await setup("bigjson");
    const ep = await n.createEndpoint("e1");
    plugin.setFault("NetworkDriver.Join", { mode: "oversize" });
    await expect(ep.join(sb)).rejects.toMatchObject({
      code: "BadResponse",
      message: expect.stringMatching(/plugin bigjson: NetworkDriver.Join: answered more than 1048576 bytes \(1 MiB\)/),
    });
    const v = await settled(c);
    // The undo is a whole leave: RevokeExternalConnectivity (404 here), then Leave.
    expect(plugin.methods().slice(-3)).toEqual(["NetworkDriver.Join", "NetworkDriver.RevokeExternalConnectivity", "NetworkDriver.Leave"]);
    expect(v.endpoints).toEqual([expect.objectContaining({ id: ep.id, state: "created", sandbox: null })]);
    expect(disagreements(v, "bigjson", plugin.holdings())).toEqual([]);
  });

  it("abandons a CreateEndpoint past the plugin timeout as a Timeout naming plugin and call, and deletes the endpoint on the plugin", async () => {
    const { c, n, plugin } = await setup("slowp", { timeoutMs: 300 });
    plugin.setFault("NetworkDriver.CreateEndpoint", { mode: "hang" });
    await expect(n.createEndpoint("e1")).rejects.toMatchObject({
      code: "Timeout",
      message: expect.stringMatching(/plugin slowp: NetworkDriver.CreateEndpoint: no answer within 300 ms/),
    });
    const v = await settled(c);
    expect(plugin.methods().slice(-2)).toEqual(["NetworkDriver.CreateEndpoint", "NetworkDriver.DeleteEndpoint"]);
    expect(disagreements(v, "slowp", plugin.holdings())).toEqual([]);
    expect(c.networks().map((x) => x.name)).toEqual(["n1"]);
  });
});

describe("a plugin killed in the middle of a call", () => {
  it("mid-CreateEndpoint: the endpoint fails in doubt, DeleteEndpoint waits for the plugin, and recover sends it once it is back", async () => {
    const { c, n, plugin } = await setup("diesce", { recoverOnly: true });
    plugin.setFault("NetworkDriver.CreateEndpoint", { mode: "die" });
    await expect(n.createEndpoint("e1")).rejects.toMatchObject({
      code: "InDoubt",
      message: expect.stringMatching(/plugin diesce: NetworkDriver.CreateEndpoint: the connection was lost before an answer/),
    });
    await plugin.exited();
    // The plugin acted before it died: it holds the endpoint netledger failed; the undo is pending.
    expect(plugin.holdings().endpoints.size).toBe(1);
    expect(c.view().effects.pending).toEqual([expect.objectContaining({ op: "deleteEndpoint" })]);
    plugin.clearFaults();
    await plugin.start();
    const report = await c.recover();
    expect(report.resolved).toEqual([expect.objectContaining({ op: "deleteEndpoint", outcome: "succeeded" })]);
    const v = await settled(c);
    expect(plugin.methods().at(-1)).toBe("NetworkDriver.DeleteEndpoint");
    expect(disagreements(v, "diesce", plugin.holdings())).toEqual([]);
  });

  it("mid-Join: the join fails in doubt, Leave waits for the plugin, and recover sends it once it is back", async () => {
    const { c, n, sb, plugin } = await setup("diesjoin", { recoverOnly: true });
    const ep = await n.createEndpoint("e1");
    plugin.setFault("NetworkDriver.Join", { mode: "die" });
    await expect(ep.join(sb)).rejects.toMatchObject({ code: "InDoubt", message: expect.stringMatching(/plugin diesjoin: NetworkDriver.Join/) });
    await plugin.exited();
    expect(plugin.holdings().joins.size).toBe(1);
    plugin.clearFaults();
    await plugin.start();
    await c.recover();
    const v = await settled(c);
    expect(plugin.methods().at(-1)).toBe("NetworkDriver.Leave");
    expect(v.endpoints).toEqual([expect.objectContaining({ state: "created", sandbox: null })]);
    expect(disagreements(v, "diesjoin", plugin.holdings())).toEqual([]);
    await ep.join(sb);
    expect(disagreements(await settled(c), "diesjoin", plugin.holdings())).toEqual([]);
  });
});

describe("a plugin absent when netledger opens", () => {
  it("does not block netledger; its calls stay pending, and recover completes them once the plugin starts", async () => {
    const { plugin, nl } = await pluginWithCli("absentp");
    expect((await nl("network", "create", "-d", "absentp", "--subnet", "10.89.0.0/24", "n1")).code).toBe(0);
    await plugin.kill();

    const r = await nl("endpoint", "create", "n1", "e1");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error).toMatchObject({
      code: "PluginUnavailable",
      message: expect.stringMatching(/absentp.*cannot be reached.*stays pending/),
    });
    // Everything else works meanwhile.
    expect((await nl("network", "create", "-d", "null", "n2")).code).toBe(0);
    // The process that could not send it has exited: the call was never sent, so it is pending, not in doubt.
    const mid = JSON.parse((await nl("replay")).stdout);
    expect(mid.endpoints).toEqual([expect.objectContaining({ name: "e1", state: "creating" })]);
    expect(mid.effects.pending).toEqual([expect.objectContaining({ op: "createEndpoint" })]);
    expect(mid.effects.inDoubt).toEqual([]);

    await plugin.start();
    const rec = await nl("recover");
    expect(rec.stderr).toBe("");
    expect(rec.code).toBe(0);
    const after = JSON.parse((await nl("replay")).stdout);
    expect(after.endpoints).toEqual([expect.objectContaining({ name: "e1", state: "created" })]);
    expect(after.effects).toEqual({ pending: [], inDoubt: [] });
    // Sent once, without an undo: no DeleteEndpoint for what was never made.
    expect(plugin.methods().filter((m) => m === "NetworkDriver.CreateEndpoint")).toHaveLength(1);
    expect(plugin.methods()).not.toContain("NetworkDriver.DeleteEndpoint");
    expect(disagreements(after, "absentp", plugin.holdings())).toEqual([]);
  });

  it("keeps a network's DeleteNetwork pending while its plugin is down, so the plugin is not left holding the network", async () => {
    const { plugin, nl } = await pluginWithCli("downrm");
    expect((await nl("network", "create", "-d", "downrm", "n1")).code).toBe(0);
    await plugin.kill();
    const rm = await nl("network", "rm", "n1");
    expect(rm.code).toBe(1);
    expect(JSON.parse(rm.stderr).error.code).toBe("PluginUnavailable");
    expect(JSON.parse((await nl("replay")).stdout).networks).toEqual([expect.objectContaining({ name: "n1", state: "deleting" })]);
    await plugin.start();
    expect((await nl("recover")).code).toBe(0);
    const after = JSON.parse((await nl("replay")).stdout);
    expect(after.networks).toEqual([]);
    expect(plugin.methods().at(-1)).toBe("NetworkDriver.DeleteNetwork");
    expect(disagreements(after, "downrm", plugin.holdings())).toEqual([]);
  });
});
