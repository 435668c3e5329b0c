import { describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { pluginWithCli } from "../../helpers/pluginServer/fixture.js";
import { tempDb } from "../../helpers/tmp.js";

/** The calls that change something, in order (each CLI run activates the plugin again: left out). */
const lifecycle = (methods: string[]) => methods.filter((m) => m !== "Plugin.Activate" && m !== "NetworkDriver.GetCapabilities");

describe("the CLI through a plugin process", () => {
  it("creates, joins, leaves and removes through the plugin, which records the calls in order with the spec's bodies", async () => {
    const { plugin, nl } = await pluginWithCli("flowp");

    const net = await nl("network", "create", "-d", "flowp", "--subnet", "10.77.0.0/24", "-o", "b=2", "-o", "a=1", "n1");
    expect(net.stderr).toBe("");
    expect(net.code).toBe(0);
    expect(plugin.methods().slice(0, 3)).toEqual(["Plugin.Activate", "NetworkDriver.GetCapabilities", "NetworkDriver.CreateNetwork"]);

    for (const step of [
      ["endpoint", "create", "n1", "e1"],
      ["sandbox", "create", "--host-netns", "c1"],
      ["endpoint", "join", "n1", "e1", "c1"],
      ["endpoint", "leave", "n1", "e1", "c1"],
      ["endpoint", "rm", "n1", "e1"],
      ["network", "rm", "n1"],
    ]) {
      const r = await nl(...step);
      expect(r.stderr, step.join(" ")).toBe("");
      expect(r.code, step.join(" ")).toBe(0);
    }

    const calls = plugin.calls().filter((c) => lifecycle([c.method]).length > 0);
    expect(calls.map((c) => c.method)).toEqual([
      "NetworkDriver.CreateNetwork",
      "NetworkDriver.CreateEndpoint",
      "NetworkDriver.Join",
      "NetworkDriver.ProgramExternalConnectivity",
      "NetworkDriver.RevokeExternalConnectivity",
      "NetworkDriver.Leave",
      "NetworkDriver.DeleteEndpoint",
      "NetworkDriver.DeleteNetwork",
    ]);
    const networkId = JSON.parse(net.stdout).id as string;
    const body = (m: string) => calls.find((c) => c.method === m)!.body;
    // Go's encoder: declared field order, sorted map keys, a trailing newline.
    expect(body("NetworkDriver.CreateNetwork")).toBe(
      JSON.stringify({
        NetworkID: networkId,
        Options: { "com.docker.network.enable_ipv6": false, "com.docker.network.generic": { a: "1", b: "2" } },
        IPv4Data: [{ AddressSpace: "LocalDefault", Pool: "10.77.0.0/24", Gateway: "10.77.0.1/24" }],
        IPv6Data: [],
      }) + "\n",
    );
    const create = JSON.parse(body("NetworkDriver.CreateEndpoint"));
    expect(Object.keys(create)).toEqual(["NetworkID", "EndpointID", "Interface", "Options"]);
    expect(create).toMatchObject({ NetworkID: networkId, Interface: { Address: "10.77.0.2/24", AddressIPv6: "", MacAddress: "" }, Options: {} });
    const endpointId = create.EndpointID as string;
    expect(endpointId).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(body("NetworkDriver.Join"))).toEqual({ NetworkID: networkId, EndpointID: endpointId, SandboxKey: "", Options: {} });
    for (const m of ["NetworkDriver.Leave", "NetworkDriver.DeleteEndpoint"])
      expect(JSON.parse(body(m))).toEqual({ NetworkID: networkId, EndpointID: endpointId });
    expect(JSON.parse(body("NetworkDriver.DeleteNetwork"))).toEqual({ NetworkID: networkId });
    // Every call the spec gives without arguments has an empty body.
    for (const c of plugin.calls().filter((c) => c.method === "Plugin.Activate" || c.method === "NetworkDriver.GetCapabilities")) expect(c.body).toBe("");

    // The MAC the plugin assigned (it was sent none) is the endpoint's; the plugin holds nothing now.
    expect(plugin.holdings()).toMatchObject({ networks: new Set(), endpoints: new Set(), joins: new Set() });
    const log = await nl("log");
    const created = log.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "effect.succeeded" && e.data.result?.interface);
    expect(created.data.result.interface.mac).toBe(`02:${endpointId.slice(0, 10).match(/../g)!.join(":")}`);
  });

  it("lists the plugin in plugins ls and drivers ls with its scope, and no driver named remote", async () => {
    const { dir, env } = await pluginWithCli("lsp", { scope: "global", implements: ["NetworkDriver", "IpamDriver"] });
    const plugins = await cli(["--json", "plugins", "ls"], env);
    expect(plugins.code).toBe(0);
    expect(JSON.parse(plugins.stdout)).toEqual([
      expect.objectContaining({ name: "lsp", address: `unix://${dir}/lsp.sock`, implements: ["NetworkDriver", "IpamDriver"], scope: "global" }),
    ]);
    const db = tempDb();
    expect((await cli(["--db", db, "network", "create", "-d", "null", "n0"], env)).code).toBe(0);
    const drivers = await cli(["--db", db, "--json", "drivers", "ls"], env);
    expect(drivers.stderr).toBe("");
    expect(drivers.code).toBe(0);
    const list = JSON.parse(drivers.stdout) as { name: string; scope: string; origin: string }[];
    expect(list.find((d) => d.name === "lsp")).toMatchObject({ scope: "global", origin: "plugin" });
    expect(list.find((d) => d.name === "null")).toMatchObject({ origin: "builtin" });
    expect(list.map((d) => d.name)).not.toContain("remote");
  });

  it("gives up on a plugin call after --plugin-timeout (or NETLEDGER_PLUGIN_TIMEOUT), naming plugin and call, and refuses a malformed timeout", async () => {
    const setup = await pluginWithCli("slowcli");
    const { db, plugin } = setup;
    // The timeout is a setting of the process that calls the plugin: through a daemon, the daemon's
    // own (netledger serve --plugin-timeout). Here the CLI is that process.
    const env = { ...setup.env, NETLEDGER_HOST: "" };
    expect((await cli(["--db", db, "network", "create", "-d", "slowcli", "--subnet", "10.78.0.0/24", "n1"], env)).code).toBe(0);
    plugin.setFault("NetworkDriver.CreateEndpoint", { mode: "hang" });
    const flag = await cli(["--db", db, "--plugin-timeout", "300ms", "endpoint", "create", "n1", "e1"], env);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^netledger: .*plugin slowcli: NetworkDriver.CreateEndpoint: no answer within 300 ms/);
    const fromEnv = await cli(["--db", db, "endpoint", "create", "n1", "e2"], { ...env, NETLEDGER_PLUGIN_TIMEOUT: "0.3" });
    expect(fromEnv.stderr).toMatch(/NetworkDriver.CreateEndpoint: no answer within 300 ms/);
    const bad = await cli(["--db", db, "--plugin-timeout", "soon", "network", "ls"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('netledger: malformed --plugin-timeout "soon": expected a duration like 30s, 500ms or 2m\n');
  });
});
