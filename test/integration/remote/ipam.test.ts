import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/controller.js";
import type { EffectCall } from "../../../src/drivers/contract.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { PluginClient } from "../../../src/drivers/remote/client.js";
import { lookupPlugin } from "../../../src/drivers/remote/discovery.js";
import { RemotePlugins } from "../../../src/drivers/remote/index.js";
import { RemoteIpamDriver } from "../../../src/drivers/remote/ipamDriver.js";
import { fakePlugin } from "../../helpers/pluginServer/inProcess.js";
import type { Override } from "../../helpers/pluginServer/server.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const call: EffectCall = { effectId: 1, attempt: 1, databaseId: "conformance" };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function ipamWith(override?: Override) {
  const dir = tempDir("netledger-plugins-");
  const p = await fakePlugin(dir, "ipamp", override, { implements: ["IpamDriver"] });
  const d = new RemoteIpamDriver("ipamp", new PluginClient(lookupPlugin("ipamp", [dir])!));
  closers.push(() => d.close());
  const bodies = (m: string) => p.calls().filter((c) => c.method === `IpamDriver.${m}`).map((c) => c.body);
  return { dir, p, d, bodies };
}

/** A controller on a new database that finds plugins in `dir`. */
async function open(dir: string): Promise<Controller> {
  const c = await Controller.open({ db: tempDb(), pluginDirs: [dir] });
  closers.push(() => c.close());
  return c;
}

describe("the remote IPAM driver (plugin-protocol.md §9)", () => {
  it("§9.26 reads RequiresMACAddress true, RequiresRequestReplay false", async () => {
    const { d } = await ipamWith((m) => (m === "IpamDriver.GetCapabilities" ? { body: { RequiresMACAddress: true } } : undefined));
    await expect(d.getCapabilities()).resolves.toEqual({ requiresMacAddress: true, requiresRequestReplay: false });
  });

  it("§9.27 registers a plugin without GetCapabilities (404) with both flags false", async () => {
    const { dir } = await ipamWith((m) => (m === "IpamDriver.GetCapabilities" ? { status: 404, body: "404 page not found\n" } : undefined));
    const registry = new DriverRegistry();
    new RemotePlugins({ dirs: [dir] }).attach(registry);
    closers.push(() => registry.close());
    await registry.ipam.ensure("ipamp");
    expect(registry.ipam.get("ipamp")).toMatchObject({ origin: "plugin", capability: { requiresMacAddress: false, requiresRequestReplay: false } });
  });

  it("§9.28 reads the default address spaces", async () => {
    const { d } = await ipamWith();
    await expect(d.getDefaultAddressSpaces()).resolves.toEqual({ localDefaultAddressSpace: "white", globalDefaultAddressSpace: "blue" });
  });

  it("§9.29 requests pools with the spec's bodies and reads their ids, pools and data", async () => {
    const { d, bodies } = await ipamWith((m, body) => {
      if (m !== "IpamDriver.RequestPool") return undefined;
      const b = JSON.parse(body);
      const pool = b.Pool || "172.18.0.0/16";
      return { body: { PoolID: [b.AddressSpace, pool, ...(b.SubPool ? [b.SubPool] : [])].join("/"), Pool: pool, Data: { DNS: "8.8.8.8" } } };
    });
    const ask = (pool: string, subPool: string, options: Record<string, string>) => d.requestPool({ addressSpace: "white", pool, subPool, options, v6: false }, call);
    await expect(ask("", "", {})).resolves.toMatchObject({ poolId: "white/172.18.0.0/16", pool: "172.18.0.0/16" });
    expect(bodies("RequestPool")[0]).toBe('{"AddressSpace":"white","Pool":"","SubPool":"","Options":null,"V6":false}\n');
    await expect(ask("172.20.0.0/16", "", {})).resolves.toMatchObject({ poolId: "white/172.20.0.0/16", data: { DNS: "8.8.8.8" } });
    await expect(ask("172.20.0.0/16", "172.20.3.0/24", { k: "v" })).resolves.toMatchObject({ poolId: "white/172.20.0.0/16/172.20.3.0/24", pool: "172.20.0.0/16" });
    expect(JSON.parse(bodies("RequestPool")[2]!).Options).toEqual({ k: "v" });
  });

  it("§9.30 requests any address or a given one (sent without a mask) and reads the CIDR answer", async () => {
    const { d, bodies } = await ipamWith((m, body) =>
      m === "IpamDriver.RequestAddress" ? { body: { Address: JSON.parse(body).Address ? "172.20.1.45/16" : "172.20.0.34/16" } } : undefined,
    );
    await expect(d.requestAddress({ poolId: "white/172.20.0.0/16", address: "", options: {} }, call)).resolves.toMatchObject({ address: "172.20.0.34/16" });
    await expect(d.requestAddress({ poolId: "white/172.20.0.0/16", address: "172.20.1.45", options: {} }, call)).resolves.toMatchObject({
      address: "172.20.1.45/16",
    });
    expect(bodies("RequestAddress").map((b) => JSON.parse(b).Address)).toEqual(["", "172.20.1.45"]);
  });

  it("§9.31 releases an address with PoolID and Address", async () => {
    const { d, bodies } = await ipamWith();
    await d.releaseAddress({ poolId: "white/172.18.0.0/16", address: "172.18.1.45" }, call);
    expect(bodies("ReleaseAddress")).toEqual(['{"PoolID":"white/172.18.0.0/16","Address":"172.18.1.45"}\n']);
  });

  it("§9.32 fails on an empty address and on Error, and takes Err at HTTP 200 as success", async () => {
    let answer: object = { Address: "" };
    const { d } = await ipamWith((m) => (m === "IpamDriver.RequestAddress" ? { body: answer } : undefined));
    const ask = () => d.requestAddress({ poolId: "p", address: "", options: {} }, call);
    await expect(ask()).rejects.toThrow(/No address returned/);
    answer = { Error: "full" };
    await expect(ask()).rejects.toThrow(/IpamDriver.RequestAddress: remote: full$/);
    answer = { Err: "full", Address: "10.0.0.2/24" };
    await expect(ask()).resolves.toMatchObject({ address: "10.0.0.2/24" });
  });

  it("§9.33 does not register an IPAM plugin whose GetDefaultAddressSpaces fails, and a network using it fails", async () => {
    const { dir } = await ipamWith((m) => (m === "IpamDriver.GetDefaultAddressSpaces" ? { status: 500, body: { Err: "down" } } : undefined));
    const c = await open(dir);
    await expect(c.newNetwork("null", "n33", { ipam: { driver: "ipamp" } })).rejects.toThrow(
      /plugin ipamp is not registered as an IPAM driver: IPAM driver "ipamp" failed to return default address spaces: .*down/,
    );
    expect(c.networks()).toEqual([]);
  });

  it("§9.34 sends the endpoint's MAC (colon form) to RequestAddress and CreateEndpoint when the IPAM requires it", async () => {
    const dir = tempDir("netledger-plugins-");
    const p = await fakePlugin(dir, "both", (m) => (m === "IpamDriver.GetCapabilities" ? { body: { RequiresMACAddress: true } } : undefined), {
      implements: ["NetworkDriver", "IpamDriver"],
    });
    const c = await open(dir);
    const n = await c.newNetwork("both", "n34", { ipam: { driver: "both", config: [{ subnet: "10.34.0.0/24" }] } });
    await n.createEndpoint("e1");
    const bodies = p.calls().map((x) => ({ m: x.method, b: JSON.parse(x.body || "null") }));
    const request = bodies.filter((x) => x.m === "IpamDriver.RequestAddress").at(-1)!.b;
    const mac = request.Options["com.docker.network.endpoint.macaddress"];
    expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(bodies.find((x) => x.m === "NetworkDriver.CreateEndpoint")!.b.Interface.MacAddress).toBe(mac);
  });

  it("§9.35 asks for the configured gateway as a gateway, and takes a pool's gateway from its Data without asking", async () => {
    const dir = tempDir("netledger-plugins-");
    let dataGateway = false;
    const p = await fakePlugin(
      dir,
      "gw",
      (m, body) => {
        if (m !== "IpamDriver.RequestPool" || !dataGateway) return undefined;
        const b = JSON.parse(body);
        return { body: { PoolID: `white/${b.Pool}`, Pool: b.Pool, Data: { "com.docker.network.gateway": "10.1.0.254/24" } } };
      },
      { implements: ["NetworkDriver", "IpamDriver"] },
    );
    const c = await open(dir);
    await c.newNetwork("gw", "n35", { ipam: { driver: "gw", config: [{ subnet: "10.35.0.0/24", gateway: "10.35.0.9" }] } });
    const gwReq = p.calls().filter((x) => x.method === "IpamDriver.RequestAddress").map((x) => JSON.parse(x.body));
    expect(gwReq).toEqual([{ PoolID: "white/10.35.0.0/24", Address: "10.35.0.9", Options: { RequestAddressType: "com.docker.network.gateway" } }]);
    dataGateway = true;
    const before = p.calls().length;
    await c.newNetwork("gw", "n35b", { ipam: { driver: "gw", config: [{ subnet: "10.1.0.0/24" }] } });
    const after = p.calls().slice(before);
    expect(after.map((x) => x.method)).toEqual(["IpamDriver.RequestPool", "NetworkDriver.CreateNetwork"]);
    expect(JSON.parse(after[1]!.body).IPv4Data[0].Gateway).toBe("10.1.0.254/24");
  });
});
