import { afterEach, describe, expect, it } from "vitest";
import { Controller, isNetledgerError } from "../../../src/index.js";
import type { RequestAddressRequest, RequestAddressResult } from "../../../src/drivers/ipamContract.js";
import { RecordingDriver } from "../../helpers/recordingDriver.js";
import { TestIpam } from "../../helpers/testIpam.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const open: Controller[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(ipam = new TestIpam(), capability = {}) {
  const c = await Controller.open({ db: tempDb(), runDir: tempDir(), actor: "ipam-driver-test" });
  open.push(c);
  const d = new RecordingDriver();
  c.registerDriver("rec", d, { dataScope: "local", sideEffects: true, usesIpam: true });
  await c.registerIpamDriver("tipam", ipam, capability);
  return { c, d, ipam };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isNetledgerError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

/** The driver calls the log asked for, in order: `op` for a network driver, `ipam:op` for the IPAM driver. */
async function callsInLog(c: Controller, since = 1): Promise<string[]> {
  const out: string[] = [];
  for await (const e of c.events({ since, type: "effect.requested" })) {
    const d = e.data as { op: string; driver: string };
    out.push(d.driver === "tipam" ? `ipam:${d.op}` : d.op);
  }
  return out;
}

const withTipam = (config: object[] = [], more: object = {}) => ({ ipam: { driver: "tipam", config: config as never }, ...more });

describe("an IPAM driver with effects", () => {
  it("is asked for the pool, then the gateway, then each auxiliary address, before the driver's CreateNetwork", async () => {
    const { c, d, ipam } = await setup();
    const n = await c.newNetwork("rec", "n", withTipam([{ subnet: "10.50.0.0/24", auxAddresses: { a: "10.50.0.7" } }]));
    expect(await callsInLog(c)).toEqual(["ipam:requestPool", "ipam:requestAddress", "ipam:requestAddress", "createNetwork"]);
    expect(ipam.calls.map((x) => x.req)).toEqual([
      { addressSpace: "TestLocal", pool: "10.50.0.0/24", subPool: "", options: {}, v6: false },
      { poolId: "TestLocal:10.50.0.0/24", address: "", options: { RequestAddressType: "com.docker.network.gateway" } },
      { poolId: "TestLocal:10.50.0.0/24", address: "10.50.0.7", options: {} },
    ]);
    expect(d.calls[0]!.req).toMatchObject({
      ipv4Data: [{ addressSpace: "TestLocal", pool: "10.50.0.0/24", gateway: "10.50.0.1/24", auxAddresses: { a: "10.50.0.7/24" } }],
    });
    expect(n.view()).toMatchObject({
      state: "active",
      ipam: { driver: "tipam", config: [{ subnet: "10.50.0.0/24", gateway: "10.50.0.1", auxAddresses: { a: "10.50.0.7" } }], pools: [] },
    });
  });

  it("lets the driver choose the pool when none is given, and keeps a gateway it names in the pool's data", async () => {
    const tipam = new TestIpam();
    tipam.poolData = { "com.docker.network.gateway": "10.200.0.254/24" };
    const { c, ipam } = await setup(tipam);
    const n = await c.newNetwork("null", "n", withTipam());
    expect(ipam.ops()).toEqual(["requestPool"]);
    expect(n.view()).toMatchObject({ state: "active", ipam: { config: [{ subnet: "10.200.0.0/24", gateway: "10.200.0.254" }] } });
  });

  it("is asked for the endpoint's IPv4 then IPv6 address before CreateEndpoint, which gets both", async () => {
    const { c, d } = await setup();
    const n = await c.newNetwork("rec", "n", withTipam([{ subnet: "10.51.0.0/24" }, { subnet: "fd51::/64" }], { ipv6: true }));
    const since = c.headOf().seq + 1;
    const e = await n.createEndpoint("e", { ip6: "fd51::77" });
    expect(await callsInLog(c, since)).toEqual(["ipam:requestAddress", "ipam:requestAddress", "createEndpoint"]);
    expect(e.view()).toMatchObject({ state: "created", ipv4: "10.51.0.2/24", ipv6: "fd51::77/64", gateway: "10.51.0.1", gateway6: "fd51::1" });
    expect(d.calls.at(-1)!.req).toMatchObject({ interface: { address: "10.51.0.2/24", addressIPv6: "fd51::77/64" } });
  });

  it("gives back the endpoint's address after DeleteEndpoint, and the gateway, aux addresses and pool before DeleteNetwork", async () => {
    const { c, d, ipam } = await setup();
    const n = await c.newNetwork("rec", "n", withTipam([{ subnet: "10.52.0.0/24", auxAddresses: { a: "10.52.0.9" } }]));
    const e = await n.createEndpoint("e");
    let since = c.headOf().seq + 1;
    await e.delete();
    expect(await callsInLog(c, since)).toEqual(["deleteEndpoint", "ipam:releaseAddress"]);
    since = c.headOf().seq + 1;
    await n.delete();
    expect(await callsInLog(c, since)).toEqual(["ipam:releaseAddress", "ipam:releaseAddress", "ipam:releasePool", "deleteNetwork"]);
    expect(ipam.pools.size).toBe(0);
    expect(d.ops().at(-1)).toBe("deleteNetwork");
    expect(c.networks()).toEqual([]);
  });

  it("releases everything through the driver when a network with endpoints is removed by force", async () => {
    const { c, ipam } = await setup();
    const n = await c.newNetwork("null", "n", withTipam([{ subnet: "10.53.0.0/24" }]));
    for (const name of ["a", "b", "c"]) await n.createEndpoint(name);
    await n.delete({ force: true });
    expect(ipam.pools.size).toBe(0);
    expect(ipam.ops().filter((o) => o === "releaseAddress")).toHaveLength(4);
    expect(c.networks()).toEqual([]);
  });

  it("fails the endpoint and gives back the address it got when a later RequestAddress fails", async () => {
    const { c, ipam } = await setup();
    const n = await c.newNetwork("rec", "n", withTipam([{ subnet: "10.54.0.0/24" }, { subnet: "fd54::/64" }], { ipv6: true }));
    ipam.failOn.requestAddress = (req) => (String(req["poolId"]).includes("fd54") ? "no IPv6 today" : undefined);
    const err = await refusal(n.createEndpoint("e"));
    expect(err.message).toMatch(/no IPv6 today/);
    expect(n.endpointByName("e")!.view()).toMatchObject({ state: "failed", ipv4: null, ipv6: null });
    expect(ipam.held()).toEqual(["10.54.0.1", "fd54::1"]);
    ipam.failOn = {};
    await n.endpointByName("e")!.delete();
    expect(n.endpoints()).toEqual([]);
  });

  it("fails the network when a RequestPool fails and gives back the pools it already had", async () => {
    const { c, ipam } = await setup();
    ipam.failOn.requestPool = (req) => (req["pool"] === "10.56.0.0/24" ? "pool exhausted" : undefined);
    const err = await refusal(c.newNetwork("rec", "n", withTipam([{ subnet: "10.55.0.0/24" }, { subnet: "10.56.0.0/24" }])));
    expect(err.message).toMatch(/pool exhausted/);
    expect(c.network("n")!.view()).toMatchObject({ state: "failed", ipam: { pools: [] } });
    expect(ipam.pools.size).toBe(0);
    expect(ipam.ops()).toEqual(["requestPool", "requestAddress", "requestPool", "releaseAddress", "releasePool"]);
    await c.network("n")!.delete();
    expect(c.networks()).toEqual([]);
  });

  it("counts a malformed answer as the call's failure, naming the driver", async () => {
    class Garbled extends TestIpam {
      override async requestAddress(req: RequestAddressRequest): Promise<RequestAddressResult> {
        const r = await super.requestAddress(req);
        return req.options["RequestAddressType"] ? r : { address: "banana" };
      }
    }
    const { c } = await setup(new Garbled());
    const n = await c.newNetwork("null", "n", withTipam([{ subnet: "10.57.0.0/24" }]));
    expect(await refusal(n.createEndpoint("e"))).toEqual({
      code: "DriverError",
      message: `IPAM driver tipam: RequestAddress returned "banana", which is not an address`,
    });
    expect(n.endpointByName("e")!.view().state).toBe("failed");
  });

  it("records a failed release as done, as libnetwork only logs it", async () => {
    const { c, ipam } = await setup();
    const n = await c.newNetwork("null", "n", withTipam([{ subnet: "10.58.0.0/24" }]));
    const e = await n.createEndpoint("e");
    ipam.failOn.releaseAddress = () => "plugin lost track";
    await e.delete();
    const released = [];
    for await (const ev of c.events({ type: "ipam.address.released" })) released.push(ev.data);
    expect(released).toEqual([
      { network: n.id, driver: "tipam", pool: "TestLocal:10.58.0.0/24", address: "10.58.0.2", owner: e.id, role: "endpoint" },
    ]);
    let outcome: unknown;
    for await (const ev of c.events({ type: "effect.succeeded" })) outcome = ev.data;
    expect(outcome).toMatchObject({ result: { ignoredError: { code: "DriverError", message: "plugin lost track" } } });
  });

  it("leaves nothing behind when a network connect fails at RequestAddress", async () => {
    const { c, ipam } = await setup();
    const n = await c.newNetwork("null", "n", withTipam([{ subnet: "10.59.0.0/24" }]));
    const sb = await c.newSandbox("c1", { netns: null });
    ipam.failOn.requestAddress = (req) => (req["options"] && (req["options"] as object)["RequestAddressType" as never] ? undefined : "refused");
    await refusal(c.run({ type: "network.connect", network: "n", sandbox: sb.id }));
    expect(n.endpoints()).toEqual([]);
    expect(sb.view().endpoints).toEqual([]);
    ipam.failOn = {};
    await c.run({ type: "network.connect", network: "n", sandbox: sb.id });
    expect(n.endpoints().map((e) => e.view())).toMatchObject([{ sandbox: sb.id, state: "joined", ipv4: "10.59.0.2/24" }]);
  });

  it("gets the endpoint's MAC in RequestAddress when it requires one", async () => {
    const { c, ipam } = await setup(new TestIpam(), { requiresMacAddress: true });
    const n = await c.newNetwork("null", "n", withTipam([{ subnet: "10.60.0.0/24" }]));
    const e = await n.createEndpoint("e");
    const mac = e.view().mac;
    expect(mac).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    expect(ipam.calls.at(-1)!.req).toMatchObject({ options: { "com.docker.network.endpoint.macaddress": mac } });
  });

  it("refuses a network whose IPAM driver is not registered, writing nothing", async () => {
    const { c } = await setup();
    expect(await refusal(c.newNetwork("null", "n", { ipam: { driver: "nosuch" } }))).toMatchObject({
      code: "NotFound",
      message: expect.stringMatching(/IPAM driver "nosuch" is not registered/),
    });
    expect(c.headOf().seq).toBe(0);
  });

  it("refuses a second registration under a built-in IPAM name", async () => {
    const { c } = await setup();
    expect(await refusal(c.registerIpamDriver("default", new TestIpam()))).toMatchObject({ code: "Conflict" });
  });
});
