import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { pluginWithCli } from "../helpers/pluginServer/fixture.js";

/**
 * A remote IPAM in doubt (docs/architecture.md, recovery): netledger SIGKILLed after the IPAM plugin
 * answered and before the answer was recorded (`after-call`). The plugin here keeps pools as
 * libnetwork's allocator does (`poolRefs`: a second request of a held pool takes a second reference),
 * so asking again without giving back what the lost answer took leaks it.
 */
async function rig(name: string) {
  const { db, plugin, env } = await pluginWithCli(name, { implements: ["NetworkDriver", "IpamDriver"], poolRefs: true });
  const nl = async (...args: string[]) => {
    const r = await runCli(["--db", db, "--json", ...args], { env });
    expect(r.stderr, args.join(" ")).toBe("");
    expect(r.code, args.join(" ")).toBe(0);
    return r.stdout;
  };
  const crash = async (...args: string[]) => {
    const r = await runCli(["--db", db, ...args], { env: { ...env, NETLEDGER_CRASH_AT: "after-call" } });
    expect(r.code, r.stderr).toBe(-1); // killed by its signal
  };
  return { db, plugin, env, nl, crash };
}

describe("netledger killed after a remote IPAM answered", () => {
  it("RequestPool for a given subnet: recovery gives back the reference the lost answer took, and the plugin holds no pool once the network is gone", async () => {
    const { plugin, nl, crash } = await rig("leakpool");
    await crash("network", "create", "-d", "leakpool", "--ipam-driver", "leakpool", "--subnet", "10.96.0.0/24", "n1");
    expect(plugin.holdings().poolRefs.get("white/10.96.0.0/24")).toBe(1);
    await nl("recover");
    const after = JSON.parse(await nl("replay"));
    expect(after.networks).toEqual([expect.objectContaining({ name: "n1", state: "active" })]);
    expect(after.effects).toEqual({ pending: [], inDoubt: [] });
    // One network, one reference: what the network holds is all the plugin holds.
    expect(Object.fromEntries(plugin.holdings().poolRefs)).toEqual({ "white/10.96.0.0/24": 1 });
    await nl("network", "rm", "n1");
    expect(Object.fromEntries(plugin.holdings().poolRefs)).toEqual({});
    expect(JSON.parse(await nl("verify")).ok).toBe(true);
  });

  it("RequestAddress for any address: the lost answer is a suspected leak that verify and gc --dry-run name by plugin, pool and request", async () => {
    const { db, env, plugin, nl, crash } = await rig("leakaddr");
    await nl("network", "create", "-d", "leakaddr", "--ipam-driver", "leakaddr", "--subnet", "10.97.0.0/24", "n1");
    await crash("endpoint", "create", "n1", "e1");
    await nl("recover");
    const after = JSON.parse(await nl("replay"));
    expect(after.endpoints).toEqual([expect.objectContaining({ name: "e1", state: "created", ipv4: "10.97.0.3/24" })]);
    // The plugin holds 10.97.0.2 for the lost answer: nothing in netledger names it.
    expect([...plugin.holdings().pools.get("white/10.97.0.0/24")!].sort()).toEqual(["10.97.0.1", "10.97.0.2", "10.97.0.3"]);
    const leak = expect.objectContaining({
      driver: "leakaddr",
      pool: "white/10.97.0.0/24",
      op: "requestAddress",
      request: expect.objectContaining({ poolId: "white/10.97.0.0/24", address: "" }),
    });
    const verify = JSON.parse(await nl("verify"));
    expect(verify.ok).toBe(true);
    expect(verify.suspectedLeaks).toEqual([leak]);
    const gc = JSON.parse(await nl("gc", "--dry-run"));
    expect(gc.suspectedLeaks).toEqual([leak]);
    // The text forms name them too.
    for (const args of [["verify"], ["gc", "--dry-run"]]) {
      const r = await runCli(["--db", db, ...args], { env });
      expect(r.stdout, args.join(" ")).toMatch(/suspected leak.*leakaddr.*white\/10\.97\.0\.0\/24/s);
    }
  });
});
