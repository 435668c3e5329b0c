import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/controller.js";
import { cleanupKernel, isRoot, links, needsRoot, routes, sh, teardownEach } from "../../helpers/kernel.js";
import { PluginProcess } from "../../helpers/pluginServer/fixture.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();
const controllers: Controller[] = [];
afterEach(async () => {
  while (controllers.length) await controllers.pop()!.close();
});

/** Host links the test plugin made (they carry this test's prefix). */
const hostLinks = (prefix: string) => links().filter((l) => l.ifname.startsWith(prefix)).map((l) => l.ifname);

describe.skipIf(!isRoot)(`the interface a plugin names at Join, in a real namespace (${needsRoot})`, () => {
  async function setup() {
    const prefix = `tnl${randomBytes(2).toString("hex")}`;
    const dir = tempDir("netledger-plugins-");
    const runDir = tempDir("netledger-run-");
    const plugin = new PluginProcess(dir, "kern", {
      createInterfaces: true,
      ifPrefix: prefix,
      joinExtras: {
        Gateway: "10.91.0.1",
        StaticRoutes: [
          { Destination: "10.92.0.0/16", RouteType: 0, NextHop: "10.91.0.254" },
          { Destination: "10.93.0.0/16", RouteType: 1, NextHop: "" },
        ],
      },
    });
    await plugin.start();
    const c = await Controller.open({ db: tempDb(), runDir, pluginDirs: [dir] });
    controllers.push(c);
    teardown(() => {
      for (const l of hostLinks(prefix)) sh("ip", ["link", "del", l]);
      cleanupKernel(c.databaseId, runDir);
    });
    const n = await c.newNetwork("kern", "n1", { ipam: { config: [{ subnet: "10.91.0.0/24" }] } });
    const sb = await c.newSandbox("c1");
    const ep = await n.createEndpoint("e1");
    return { prefix, plugin, c, n, sb, ep };
  }

  it("moves the link into the sandbox as eth0 with the endpoint's address, MAC, gateway and routes, and moves it back out at Leave", async () => {
    const { prefix, plugin, sb, ep } = await setup();
    await ep.join(sb);
    const key = sb.key!;
    const eth0 = links(key).find((l) => l.ifname === "eth0")!;
    expect(eth0).toBeDefined();
    expect(eth0.address).toBe(ep.view().mac);
    expect(eth0.flags).toContain("UP");
    expect(sh("nsenter", [`--net=${key}`, "--", "ip", "-4", "addr", "show", "dev", "eth0"])).toContain("10.91.0.2/24");
    const table = routes(key);
    expect(table).toMatch(/default via 10\.91\.0\.1 dev eth0/);
    expect(table).toMatch(/10\.92\.0\.0\/16 via 10\.91\.0\.254 dev eth0/);
    expect(table).toMatch(/10\.93\.0\.0\/16 dev eth0/);
    // Only the peer stays on the host; the plugin's end is in the sandbox.
    expect(hostLinks(prefix)).toEqual([`${prefix}${ep.id.slice(0, 6)}p`]);
    // EndpointOperInfo, as driverInfo().
    await expect(ep.driverInfo()).resolves.toEqual({ endpoint: ep.id, held: true });

    await ep.leave(sb);
    expect(links(key).map((l) => l.ifname)).toEqual(["lo"]);
    // Back on the host under its own name, where the plugin deleted it at Leave (and its peer with it).
    expect(hostLinks(prefix)).toEqual([]);
    expect(plugin.methods().filter((m) => m === "NetworkDriver.Leave")).toHaveLength(1);
  });

  it("places the link under the interface name the caller chose (a CNI runtime's CNI_IFNAME), and the endpoint's view names it", async () => {
    const { c, sb } = await setup();
    await c.run({ type: "network.connect", network: "n1", sandbox: sb.id, ifname: "net3" });
    const key = sb.key!;
    expect(links(key).map((l) => l.ifname).sort()).toEqual(["lo", "net3"]);
    expect(sh("nsenter", [`--net=${key}`, "--", "ip", "-4", "addr", "show", "dev", "net3"])).toMatch(/10\.91\.0\.\d+\/24/);
    const ep = c.network("n1")!.view().endpoints.map((id) => c.endpoint(id)!.view()).find((v) => v.sandbox === sb.id);
    expect(ep?.interface).toEqual({ name: "net3", host: null });
    await c.run({ type: "network.disconnect", network: "n1", sandbox: sb.id });
    expect(links(key).map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("fails the join and sends Leave when the plugin names an interface that does not exist", async () => {
    const { prefix, plugin, sb, ep } = await setup();
    plugin.setFault("NetworkDriver.Join", { mode: "answer", answer: { InterfaceName: { SrcName: `${prefix}nope`, DstPrefix: "eth" } } });
    await expect(ep.join(sb)).rejects.toMatchObject({
      code: "DriverError",
      message: expect.stringContaining(`plugin kern: NetworkDriver.Join: the plugin named interface "${prefix}nope", which does not exist; sent Leave`),
    });
    expect(plugin.methods().slice(-2)).toEqual(["NetworkDriver.Join", "NetworkDriver.Leave"]);
    expect(ep.view()).toMatchObject({ state: "created", sandbox: null });
    expect(links(sb.key!).map((l) => l.ifname)).toEqual(["lo"]);
  });
});
