import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { pluginWithCli } from "../../helpers/pluginServer/fixture.js";

/**
 * A plugin that is both network driver and IPAM dies in CreateEndpoint after making the endpoint: the
 * call may have acted (InDoubt), so DeleteEndpoint is owed, and the endpoint's address is released to
 * the same plugin. Both are calls on the endpoint: the undo goes first, the release once it has answered
 * (both at once were refused by the fold and the outcome was lost: "already has effect M in flight").
 */
describe("CreateEndpoint in doubt on a remote IPAM", () => {
  it("undoes the endpoint, then releases its address, once the plugin is back", async () => {
    const { db, plugin, env } = await pluginWithCli("dieipam", { implements: ["NetworkDriver", "IpamDriver"] });
    const nl = (...args: string[]) => runCli(["--db", db, "--json", ...args], { env });
    expect((await nl("network", "create", "-d", "dieipam", "--ipam-driver", "dieipam", "--subnet", "10.98.0.0/24", "n1")).code).toBe(0);
    plugin.setFault("NetworkDriver.CreateEndpoint", { mode: "die" });
    const created = await nl("endpoint", "create", "n1", "e1");
    expect(created.code).not.toBe(0);
    await plugin.exited();
    plugin.clearFaults();
    await plugin.start();
    const recovered = await nl("recover");
    expect(recovered.code, recovered.stderr).toBe(0);
    const after = JSON.parse((await nl("replay")).stdout);
    expect(after.effects).toEqual({ pending: [], inDoubt: [] });
    expect(after.endpoints.filter((e: { state: string }) => e.state === "created")).toEqual([]);
    const tail = plugin.methods().filter((m) => /CreateEndpoint|DeleteEndpoint|ReleaseAddress/.test(m));
    expect(tail).toEqual(["NetworkDriver.CreateEndpoint", "NetworkDriver.DeleteEndpoint", "IpamDriver.ReleaseAddress"]);
    expect(plugin.holdings().endpoints.size).toBe(0);
    expect([...plugin.holdings().pools.get("white/10.98.0.0/24")!]).toEqual(["10.98.0.1"]);
    expect(JSON.parse((await nl("verify")).stdout).ok).toBe(true);
  }, 120_000);
});
