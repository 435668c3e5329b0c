import { describe, expect, it } from "vitest";
import { pluginWithCli } from "../../helpers/pluginServer/fixture.js";

/**
 * `--driver-opt` on `endpoint create` and `network connect` (Docker's endpoint DriverOpts): the options
 * reach the plugin as top-level keys of CreateEndpoint's Options (plugin-protocol.md §5.4, §8.3), as
 * Go encodes them (sorted keys, a trailing newline), beside the MAC netledger sets in base64.
 */
describe("endpoint driver options through a plugin", () => {
  it("sends endpoint create's --driver-opt in CreateEndpoint's Options, keys sorted, beside the base64 MAC, and shows them in endpoint inspect", async () => {
    const { plugin, nl } = await pluginWithCli("optp");
    const net = await nl("network", "create", "-d", "optp", "--subnet", "10.78.0.0/24", "n1");
    expect(net.code).toBe(0);
    const networkId = JSON.parse(net.stdout).id as string;

    const ep = await nl("endpoint", "create", "--mac", "02:42:ac:12:00:02", "--driver-opt", "zeta=1", "--driver-opt", "alpha=x=y", "n1", "e1");
    expect(ep.stderr).toBe("");
    expect(ep.code).toBe(0);
    const endpointId = JSON.parse(ep.stdout).id as string;
    const create = plugin.calls().find((c) => c.method === "NetworkDriver.CreateEndpoint")!;
    expect(create.body).toBe(
      JSON.stringify({
        NetworkID: networkId,
        EndpointID: endpointId,
        Interface: { Address: "10.78.0.2/24", AddressIPv6: "", MacAddress: "02:42:ac:12:00:02" },
        Options: { alpha: "x=y", "com.docker.network.endpoint.macaddress": "AkKsEgAC", zeta: "1" },
      }) + "\n",
    );

    const shown = await nl("endpoint", "inspect", "n1", "e1");
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).driverOpts).toEqual({ alpha: "x=y", zeta: "1" });
  });

  it("sends network connect's --driver-opt in CreateEndpoint's Options, and an endpoint without any sends an empty object", async () => {
    const { plugin, nl } = await pluginWithCli("optc");
    expect((await nl("network", "create", "-d", "optc", "--subnet", "10.79.0.0/24", "n1")).code).toBe(0);
    expect((await nl("sandbox", "create", "--host-netns", "c1")).code).toBe(0);
    expect((await nl("sandbox", "create", "--host-netns", "c2")).code).toBe(0);

    const c1 = await nl("network", "connect", "--driver-opt", "com.example.vlan=12", "n1", "c1");
    expect(c1.stderr).toBe("");
    expect(c1.code).toBe(0);
    expect((await nl("network", "connect", "n1", "c2")).code).toBe(0);

    const bodies = plugin.calls().filter((c) => c.method === "NetworkDriver.CreateEndpoint").map((c) => JSON.parse(c.body));
    expect(bodies.map((b) => b.Options)).toEqual([{ "com.example.vlan": "12" }, {}]);
    const shown = JSON.parse((await nl("endpoint", "inspect", "n1", "c1", "c2")).stdout) as Record<string, unknown>[];
    expect(shown.map((e) => e["driverOpts"])).toEqual([{ "com.example.vlan": "12" }, undefined]);
  });

  it("refuses a --driver-opt without a key, or one naming the MAC's key, before anything reaches the plugin", async () => {
    const { plugin, nl } = await pluginWithCli("optr");
    expect((await nl("network", "create", "-d", "optr", "--subnet", "10.80.0.0/24", "n1")).code).toBe(0);
    const noKey = await nl("endpoint", "create", "--driver-opt", "=1", "n1", "e1");
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/malformed --driver-opt .*=1.*: expected KEY=VALUE/);
    const mac = await nl("endpoint", "create", "--driver-opt", "com.docker.network.endpoint.macaddress=AkKsEgAC", "n1", "e1");
    expect(mac.code).not.toBe(0);
    expect(mac.stderr).toMatch(/com.docker.network.endpoint.macaddress is set by netledger .* use --mac/);
    expect(plugin.methods()).not.toContain("NetworkDriver.CreateEndpoint");
    expect(JSON.parse((await nl("endpoint", "ls")).stdout)).toEqual([]);
  });
});
