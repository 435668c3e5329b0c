import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/controller.js";
import type { EffectCall } from "../../../src/drivers/contract.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { PluginClient } from "../../../src/drivers/remote/client.js";
import { lookupPlugin } from "../../../src/drivers/remote/discovery.js";
import { RemotePlugins } from "../../../src/drivers/remote/index.js";
import type { InterfacePlacement } from "../../../src/drivers/remote/joinInterface.js";
import { RemoteNetworkDriver } from "../../../src/drivers/remote/networkDriver.js";
import { joinAndProgram, revokeAndLeave } from "../../../src/effects/executor.js";
import type { Override } from "../../helpers/pluginServer/server.js";
import { fakePlugin } from "../../helpers/pluginServer/inProcess.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const call: EffectCall = { effectId: 1, attempt: 1, databaseId: "conformance" };

/**
 * The kernel side of Join as a record of what it was asked (the wire rules are what these checks are
 * about; test/integration/remote/joinKernel.test.ts places real links in real namespaces).
 */
function recordingPlacement(existing: string[] = []) {
  const asked: string[] = [];
  const placement: InterfacePlacement = {
    exists: (src) => existing.includes(src),
    async place(src, prefix, ns, cfg) {
      const name = cfg.name ?? `${prefix}0`;
      asked.push(`place ${src} ${name} ${ns} gw=${cfg.gateway ?? ""} routes=${JSON.stringify(cfg.routes)}`);
      return name;
    },
    async remove(ns, owner) {
      asked.push(`remove ${owner.endpointId} from ${ns}`);
    },
  };
  return { placement, asked };
}

async function driverWith(override: Override, placement?: InterfacePlacement) {
  const dir = tempDir("netledger-plugins-");
  const p = await fakePlugin(dir, "fake", override);
  const d = new RemoteNetworkDriver("fake", new PluginClient(lookupPlugin("fake", [dir])!), placement);
  drivers.push(d);
  const bodies = (m: string) => p.calls().filter((c) => c.method === `NetworkDriver.${m}`).map((c) => JSON.parse(c.body || "null"));
  return { dir, p, d, bodies };
}

const drivers: RemoteNetworkDriver[] = [];
const controllers: Controller[] = [];
afterEach(async () => {
  while (drivers.length) await drivers.pop()!.close();
  while (controllers.length) await controllers.pop()!.close();
});

async function open(dir: string): Promise<Controller> {
  const c = await Controller.open({ db: tempDb(), pluginDirs: [dir] });
  controllers.push(c);
  return c;
}

const caps = (answer: object): Override => (m) => (m === "NetworkDriver.GetCapabilities" ? { body: answer } : undefined);

describe("the remote network driver (plugin-protocol.md §9)", () => {
  it("§9.13 refuses GetCapabilities {} and does not register the plugin", async () => {
    const { d, dir } = await driverWith(caps({}));
    await expect(d.getCapabilities()).rejects.toThrow(/expecting 'local' or 'global'/);
    const registry = new DriverRegistry();
    new RemotePlugins({ dirs: [dir] }).attach(registry);
    await expect(registry.ensure("fake")).rejects.toMatchObject({ message: expect.stringMatching(/plugin fake is not registered as a network driver: .*Scope ""/) });
    expect(registry.get("fake")).toBeUndefined();
    await registry.close();
  });

  it("§9.14 takes Scope local and ConnectivityScope global, ignoring unknown keys", async () => {
    const { d } = await driverWith(caps({ Scope: "local", foo: "bar", ConnectivityScope: "global" }));
    await expect(d.getCapabilities()).resolves.toMatchObject({ dataScope: "local", connectivityScope: "global" });
  });

  it("§9.15 refuses Scope fake and ConnectivityScope x, and takes Scope global alone as global/global", async () => {
    for (const [answer, ok] of [
      [{ Scope: "fake" }, false],
      [{ Scope: "local", ConnectivityScope: "x" }, false],
      [{ Scope: "global" }, true],
    ] as const) {
      const { d } = await driverWith(caps(answer));
      if (ok) await expect(d.getCapabilities()).resolves.toMatchObject({ dataScope: "global", connectivityScope: "global" });
      else await expect(d.getCapabilities()).rejects.toMatchObject({ code: "BadResponse" });
    }
  });

  it("§9.16 runs the full cycle with the spec's bodies and reads the answers", async () => {
    const { placement, asked } = recordingPlacement(["vethsrc"]);
    const { d, bodies } = await driverWith((m) => {
      if (m === "NetworkDriver.CreateEndpoint")
        return { body: { Interface: { MacAddress: "ab:cd:ef:ee:ee:ee", Address: "192.168.5.7/16", AddressIPv6: "2001:DB8::5:7/48" } } };
      if (m === "NetworkDriver.Join")
        return {
          body: {
            Gateway: "192.168.0.1",
            GatewayIPv6: "2001:DB8::1",
            InterfaceName: { SrcName: "vethsrc", DstPrefix: "vethdst" },
            StaticRoutes: [{ Destination: "10.0.0.0/8", RouteType: 1, NextHop: "10.0.0.1" }],
            HostsPath: "/x",
            ResolvConfPath: "/y",
          },
        };
      if (m === "NetworkDriver.EndpointOperInfo") return { body: { Value: { a: 1 } } };
      return undefined;
    }, placement);
    const net = { networkId: "dummy-network", name: "n", options: {}, labels: {}, ipv6: false, internal: false, ipam: { driver: "default", config: [] } };
    await d.createNetwork(net, call);
    expect(bodies("CreateNetwork")[0].NetworkID).toBe("dummy-network");
    const ep = { networkId: "dummy-network", endpointId: "dummy-endpoint" };
    const created = await d.createEndpoint({ ...ep, interface: { address: null, addressIPv6: null, mac: null }, options: { ports: [], aliases: [] } }, call);
    expect(created).toEqual({ interface: { mac: "ab:cd:ef:ee:ee:ee", address: "192.168.5.7/16", addressIPv6: "2001:db8::5:7/48" } });
    const joined = await d.join({ ...ep, sandboxId: "s", sandboxKey: "sandbox-key", options: { foo: "fooValue" } }, call);
    expect(bodies("Join")[0]).toMatchObject({ SandboxKey: "sandbox-key", Options: { foo: "fooValue" } });
    expect(joined).toMatchObject({
      gateway: "192.168.0.1",
      gatewayIPv6: "2001:db8::1",
      interfaceName: { srcName: "vethsrc", dstPrefix: "vethdst" },
      staticRoutes: [{ destination: "10.0.0.0/8", routeType: 1, nextHop: "10.0.0.1" }],
    });
    expect(joined).not.toHaveProperty("HostsPath");
    // A CONNECTED route (type 1) goes on the interface without its next hop.
    expect(asked).toEqual(['place vethsrc vethdst0 sandbox-key gw=192.168.0.1 routes=[{"destination":"10.0.0.0/8"}]']);
    await expect(d.endpointOperInfo(ep)).resolves.toEqual({ a: 1 });
    await d.leave({ ...ep, sandboxId: "s", sandboxKey: "sandbox-key", options: {}, joinInfo: joined }, call);
    expect(asked.at(-1)).toBe("remove dummy-endpoint from sandbox-key");
    await d.deleteEndpoint(ep, call);
    await d.deleteNetwork({ networkId: "dummy-network" }, call);
    await d.discover("DiscoverNew", 1, { Address: "192.168.1.1" });
    await d.discover("DiscoverDelete", 1, { Address: "192.168.1.1" });
    const discovery = { DiscoveryType: 1, DiscoveryData: { Address: "192.168.1.1", BindAddress: "", Self: false } };
    expect(bodies("DiscoverNew")).toEqual([discovery]);
    expect(bodies("DiscoverDelete")).toEqual([discovery]);
    expect(bodies("Leave")).toEqual([ep].map((e) => ({ NetworkID: e.networkId, EndpointID: e.endpointId })));
  });

  it("places the plugin's interface under the name the caller chose (CNI_IFNAME) rather than DstPrefix and an index", async () => {
    const { placement, asked } = recordingPlacement(["vethsrc"]);
    const { d } = await driverWith(
      (m) => (m === "NetworkDriver.Join" ? { body: { Gateway: "192.168.0.1", InterfaceName: { SrcName: "vethsrc", DstPrefix: "vethdst" } } } : undefined),
      placement,
    );
    const ep = { networkId: "dummy-network", endpointId: "dummy-endpoint" };
    const joined = await d.join({ ...ep, sandboxId: "s", sandboxKey: "sandbox-key", options: {}, ifname: "net7" }, call);
    expect(asked).toEqual(["place vethsrc net7 sandbox-key gw=192.168.0.1 routes=[]"]);
    expect(joined).toMatchObject({ sandboxInterface: "net7" });
  });

  const epReq = (address: string | null, mac: string | null = null) => ({
    networkId: "n",
    endpointId: "e",
    interface: { address, addressIPv6: null, mac },
    options: { ports: [], aliases: [] },
  });

  it("§9.17 raises CreateEndpoint's Err at HTTP 200 as remote: <Err>", async () => {
    const { d } = await driverWith((m) => (m === "NetworkDriver.CreateEndpoint" ? { body: { Err: "this should get raised as an error" } } : undefined));
    await expect(d.createEndpoint(epReq(null), call)).rejects.toThrow(/NetworkDriver.CreateEndpoint: remote: this should get raised as an error$/);
  });

  it("§9.18 takes an Interface of empty values as success that changes nothing", async () => {
    const { d } = await driverWith((m) => (m === "NetworkDriver.CreateEndpoint" ? { body: { Interface: { Address: "", AddressIPv6: "", MacAddress: "" } } } : undefined));
    await expect(d.createEndpoint(epReq("10.0.0.2/24"), call)).resolves.toEqual({});
  });

  it("§9.19 refuses an answer that rewrites an interface value already set, and sends DeleteEndpoint", async () => {
    const answer = { Interface: { Address: "192.168.4.5/16", MacAddress: "7a:12:34:56:78:90" } };
    const { d, p } = await driverWith((m) => (m === "NetworkDriver.CreateEndpoint" ? { body: answer } : undefined));
    await expect(d.createEndpoint(epReq("192.168.4.5/16", "7a:12:34:56:78:90"), call)).rejects.toMatchObject({
      code: "Forbidden",
      message: expect.stringMatching(/driver modified interface MAC address: 7a:12:34:56:78:90 .*; rolled back$/),
    });
    expect(p.methods()).toEqual(["NetworkDriver.CreateEndpoint", "NetworkDriver.DeleteEndpoint"]);
  });

  it("§9.20 fails an endpoint whose plugin echoes the address IPAM gave, deletes it on the plugin, and frees the address", async () => {
    const dir = tempDir("netledger-plugins-");
    let echo = true;
    const p = await fakePlugin(dir, "echoer", (m, body) =>
      m === "NetworkDriver.CreateEndpoint" && echo ? { body: { Interface: { Address: JSON.parse(body).Interface.Address } } } : undefined,
    );
    const c = await open(dir);
    const n = await c.newNetwork("echoer", "n20", { ipam: { config: [{ subnet: "10.20.0.0/24" }] } });
    await expect(n.createEndpoint("e1")).rejects.toMatchObject({ message: expect.stringMatching(/driver modified interface address: 10.20.0.2\/24.*rolled back/) });
    expect(p.methods().slice(-2)).toEqual(["NetworkDriver.CreateEndpoint", "NetworkDriver.DeleteEndpoint"]);
    const released = [];
    for await (const e of c.events({ type: "ipam.address.released" })) released.push(e.data);
    expect(released).toEqual([expect.objectContaining({ address: "10.20.0.2" })]);
    expect(c.view().endpoints.filter((e) => e.ipv4 === "10.20.0.2/24")).toEqual([]);
    echo = false;
    await expect(n.createEndpoint("e2")).resolves.toBeDefined();
  });

  it("§9.21 takes a Join without InterfaceName as success with no Leave, and refuses a Gateway in CIDR form", async () => {
    let gateway = "";
    const { d, p } = await driverWith((m) => (m === "NetworkDriver.Join" ? { body: gateway ? { Gateway: gateway } : {} } : undefined));
    const req = { networkId: "n", endpointId: "e", sandboxId: "s", sandboxKey: "/x", options: {} };
    await expect(d.join(req, call)).resolves.toEqual({});
    expect(p.methods()).not.toContain("NetworkDriver.Leave");
    gateway = "10.0.0.1/24";
    await expect(d.join(req, call)).rejects.toMatchObject({ code: "BadResponse", message: expect.stringContaining('unable to parse Gateway "10.0.0.1/24"') });
  });

  it("§9.22 takes a 404 to Program/RevokeExternalConnectivity as success, and fails the join (with Leave) on a 500", async () => {
    let status = 404;
    const { d, p } = await driverWith((m) =>
      m.endsWith("ExternalConnectivity") ? { status, body: status === 404 ? "404 page not found\n" : { Err: "x" } } : undefined,
    );
    const req = { networkId: "n", endpointId: "e", sandboxId: "s", sandboxKey: null, options: {} };
    // The join and leave effects, as the effect layer makes them: Join then Program; Revoke then Leave.
    await expect(joinAndProgram(d, req, call)).resolves.toEqual({});
    await revokeAndLeave(d, { ...req, joinInfo: {} }, call);
    status = 500;
    await expect(joinAndProgram(d, req, call)).rejects.toThrow(/driver failed programming external connectivity on endpoint e: .*: x; left again/);
    expect(p.methods().slice(-3)).toEqual(["NetworkDriver.Join", "NetworkDriver.ProgramExternalConnectivity", "NetworkDriver.Leave"]);
  });

  it("§9.23 sends no request for discovery types 2, 3 and 4", async () => {
    const { d, p } = await driverWith(() => undefined);
    for (const t of [2, 3, 4]) await d.discover("DiscoverNew", t, { Address: "10.0.0.1" });
    expect(p.methods()).toEqual([]);
  });

  it("§9.24 deletes the network although DeleteNetwork answers 500", async () => {
    const dir = tempDir("netledger-plugins-");
    const p = await fakePlugin(dir, "stubborn", (m) => (m === "NetworkDriver.DeleteNetwork" ? { status: 500, body: { Err: "no" } } : undefined));
    const c = await open(dir);
    const n = await c.newNetwork("stubborn", "n24", { ipam: { config: [{ subnet: "10.24.0.0/24" }] } });
    await n.delete();
    expect(c.networks()).toEqual([]);
    expect(p.methods().at(-1)).toBe("NetworkDriver.DeleteNetwork");
  });

  it("§9.25 activates a plugin found through a .spec file once: Activate, GetCapabilities, CreateNetwork with IPv6Data []", async () => {
    const sockets = tempDir("netledger-sock-");
    const p = await fakePlugin(sockets, "p25");
    const dir = tempDir("netledger-plugins-");
    mkdirSync(join(dir, "p25"));
    writeFileSync(join(dir, "p25", "p25.spec"), `unix://${p.config.socket}\n`);
    const c = await open(dir);
    await c.newNetwork("p25", "first");
    expect(p.methods()).toEqual(["Plugin.Activate", "NetworkDriver.GetCapabilities", "NetworkDriver.CreateNetwork"]);
    expect(JSON.parse(p.calls()[2]!.body).IPv6Data).toEqual([]);
    await c.newNetwork("p25", "second");
    expect(p.methods().slice(3)).toEqual(["NetworkDriver.CreateNetwork"]);
  });
});
