import { afterEach, describe, expect, it } from "vitest";
import { Controller, isNetledgerError, type Network } from "../../../src/index.js";
import { nullDriver } from "../../../src/drivers/null/index.js";
import { RecordingDriver } from "../../helpers/recordingDriver.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const open: Controller[] = [];

async function controller(db = tempDb()): Promise<Controller> {
  const c = await Controller.open({ db, runDir: tempDir(), actor: "ipam-test" });
  open.push(c);
  return c;
}

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** The error a promise rejects with (fails the test if it resolves). */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isNetledgerError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

const subnetNet = (c: Controller, name: string, config: object[], more: object = {}) =>
  c.newNetwork("null", name, { ipam: { config: config as never }, ...more });

const addressesOf = (n: Network) => n.endpoints().map((e) => e.view().ipv4);

describe("default IPAM through the controller", () => {
  it("gives a network without a subnet the first free default pool, and the next network the next one", async () => {
    const c = await controller();
    const a = await c.newNetwork("null", "a", { ipam: { driver: "default" } });
    const b = await c.newNetwork("null", "b", { ipam: { driver: "default" } });
    expect(a.view().ipam.config).toEqual([{ subnet: "172.17.0.0/16", gateway: "172.17.0.1" }]);
    expect(b.view().ipam.config).toEqual([{ subnet: "172.18.0.0/16", gateway: "172.18.0.1" }]);
    await a.delete();
    const again = await c.newNetwork("null", "again", { ipam: { driver: "default" } });
    expect(again.view().ipam.config[0]!.subnet).toBe("172.17.0.0/16");
  });

  it("takes default pools from GlobalDefault (10.0.0.0/8 in /24s) for a global-scope driver", async () => {
    const c = await controller();
    c.registerDriver("gnull", nullDriver, { dataScope: "global", sideEffects: false, usesIpam: true });
    // Without a cluster a global-scope network is refused; the cluster node mirrors one into the local log.
    await expect(c.newNetwork("gnull", "g")).rejects.toMatchObject({ code: "Forbidden", message: expect.stringMatching(/--cluster/) });
    const r = await c.run({ type: "network.create", driver: "gnull", name: "g" }, { mirror: true });
    const g = c.network(r.entity!.id)!;
    expect(g.view().ipam.pools[0]).toMatchObject({ id: "GlobalDefault/10.0.0.0/24", addressSpace: "GlobalDefault" });
    // Address spaces are separate: a local network may use the same subnet.
    const l = await subnetNet(c, "l", [{ subnet: "10.0.0.0/24" }]);
    expect(l.view().ipam.pools[0]!.id).toBe("LocalDefault/10.0.0.0/24");
  });

  it("gives the gateway the first host address and endpoints the next ones, in CIDR form with the gateway plain", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.77.0.0/24" }]);
    const e1 = await n.createEndpoint("e1");
    const e2 = await n.createEndpoint("e2");
    expect(e1.view()).toMatchObject({ ipv4: "10.77.0.2/24", gateway: "10.77.0.1", ipv6: null, gateway6: null });
    expect(e2.view().ipv4).toBe("10.77.0.3/24");
    expect(n.view().ipam.pools).toEqual([
      { id: "LocalDefault/10.77.0.0/24", addressSpace: "LocalDefault", subnet: "10.77.0.0/24", ipRange: null, allocated: 3, free: 251 },
    ]);
  });

  it("refuses an endpoint once a /30 is exhausted, with an error naming the subnet, and writes nothing", async () => {
    const c = await controller();
    const n = await subnetNet(c, "small", [{ subnet: "10.9.0.0/30" }]);
    const only = await n.createEndpoint("only");
    expect(only.view().ipv4).toBe("10.9.0.2/30");
    const head = c.headOf().seq;
    const err = await refusal(n.createEndpoint("second"));
    expect(err.code).toBe("Exhausted");
    expect(err.message).toBe(
      "no free IPv4 address left in network small: subnet 10.9.0.0/30 is full; remove an endpoint or create the network with a larger subnet",
    );
    expect(c.headOf().seq).toBe(head);
    // Once the endpoint is gone its address can be had again.
    await only.delete();
    expect((await n.createEndpoint("second")).view().ipv4).toBe("10.9.0.2/30");
  });

  it("refuses a static address outside every subnet of the network", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.1.0.0/24" }, { subnet: "10.2.0.0/24" }]);
    const err = await refusal(n.createEndpoint("e", { ip: "10.3.0.5" }));
    expect(err).toEqual({
      code: "InvalidParameter",
      message: "--ip 10.3.0.5 is not in any IPv4 subnet of network n (10.1.0.0/24, 10.2.0.0/24)",
    });
    expect((await n.createEndpoint("e", { ip: "10.2.0.9" })).view().ipv4).toBe("10.2.0.9/24");
  });

  it("refuses a static address that is the network, broadcast, gateway or an auxiliary address, or already in use", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.1.0.0/24", gateway: "10.1.0.254", auxAddresses: { printer: "10.1.0.10" } }]);
    const taken = await n.createEndpoint("taken", { ip: "10.1.0.20" });
    expect((await refusal(n.createEndpoint("e", { ip: "10.1.0.0" }))).message).toMatch(/is the network address of subnet 10.1.0.0\/24/);
    expect((await refusal(n.createEndpoint("e", { ip: "10.1.0.255" }))).message).toMatch(/is the broadcast address/);
    expect(await refusal(n.createEndpoint("e", { ip: "10.1.0.254" }))).toEqual({
      code: "Conflict",
      message: "--ip 10.1.0.254 is the gateway of network n",
    });
    expect((await refusal(n.createEndpoint("e", { ip: "10.1.0.10" }))).message).toBe(
      "--ip 10.1.0.10 is reserved as auxiliary address printer of network n",
    );
    expect((await refusal(n.createEndpoint("e", { ip: "10.1.0.20" }))).message).toBe(
      `--ip 10.1.0.20 is already in use by endpoint taken (${taken.id.slice(0, 12)}) in network n`,
    );
  });

  it("refuses a gateway outside the subnet, naming both", async () => {
    const c = await controller();
    const err = await refusal(subnetNet(c, "n", [{ subnet: "10.1.0.0/24", gateway: "10.2.0.1" }]));
    expect(err).toEqual({ code: "InvalidParameter", message: "--gateway 10.2.0.1 is not in subnet 10.1.0.0/24" });
    expect(c.networks()).toEqual([]);
  });

  it("refuses the same or an overlapping subnet on a second network with a Conflict naming the first", async () => {
    const c = await controller();
    const first = await subnetNet(c, "first", [{ subnet: "10.5.0.0/16" }]);
    const same = await refusal(subnetNet(c, "second", [{ subnet: "10.5.0.0/16" }]));
    expect(same).toEqual({ code: "Conflict", message: `subnet 10.5.0.0/16 is already used by network first (${first.id.slice(0, 12)})` });
    const inner = await refusal(subnetNet(c, "second", [{ subnet: "10.5.7.0/24" }]));
    expect(inner.message).toBe(`subnet 10.5.7.0/24 overlaps subnet 10.5.0.0/16 of network first (${first.id.slice(0, 12)})`);
    const outer = await refusal(subnetNet(c, "second", [{ subnet: "10.0.0.0/8" }]));
    expect(outer.message).toBe(`subnet 10.0.0.0/8 overlaps subnet 10.5.0.0/16 of network first (${first.id.slice(0, 12)})`);
    await first.delete();
    await subnetNet(c, "second", [{ subnet: "10.5.0.0/16" }]);
  });

  it("never hands out the network, broadcast, gateway or auxiliary addresses, whatever is allocated and freed", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.8.0.0/29", auxAddresses: { a: "10.8.0.4" } }]);
    for (let round = 0; round < 3; round++) {
      const eps = [];
      for (let i = 0; i < 4; i++) eps.push(await n.createEndpoint(`e${round}-${i}`));
      expect((await refusal(n.createEndpoint("extra"))).code).toBe("Exhausted");
      expect(addressesOf(n).sort()).toEqual(["10.8.0.2/29", "10.8.0.3/29", "10.8.0.5/29", "10.8.0.6/29"]);
      for (const e of eps) await e.delete();
    }
  });

  it("hands out the address after the last one, wrapping round, so a released address is not reused at once", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.8.0.0/29" }]);
    const [a, b] = [await n.createEndpoint("a"), await n.createEndpoint("b")];
    expect([a.view().ipv4, b.view().ipv4]).toEqual(["10.8.0.2/29", "10.8.0.3/29"]);
    await a.delete();
    expect((await n.createEndpoint("c")).view().ipv4).toBe("10.8.0.4/29");
    await n.createEndpoint("d");
    await n.createEndpoint("e");
    // .6 was the last; the search wraps to the start and finds .2, freed earlier.
    expect((await n.createEndpoint("f")).view().ipv4).toBe("10.8.0.2/29");
  });

  it("allocates from the --ip-range only, and takes a static address anywhere in the subnet", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.6.0.0/16", ipRange: "10.6.5.0/30" }]);
    expect(n.view().ipam.config).toEqual([{ subnet: "10.6.0.0/16", gateway: "10.6.0.1", ipRange: "10.6.5.0/30" }]);
    for (const name of ["a", "b", "c", "d"]) await n.createEndpoint(name);
    expect(addressesOf(n).sort()).toEqual(["10.6.5.0/16", "10.6.5.1/16", "10.6.5.2/16", "10.6.5.3/16"]);
    expect((await refusal(n.createEndpoint("e"))).message).toMatch(/range 10.6.5.0\/30 of subnet 10.6.0.0\/16 is full/);
    expect((await n.createEndpoint("e", { ip: "10.6.200.1" })).view().ipv4).toBe("10.6.200.1/16");
  });

  it("takes addresses from the network's next subnet once the first is full", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.1.0.0/30" }, { subnet: "10.2.0.0/30" }]);
    await n.createEndpoint("a");
    expect((await n.createEndpoint("b")).view()).toMatchObject({ ipv4: "10.2.0.2/30", gateway: "10.2.0.1" });
    expect((await refusal(n.createEndpoint("c"))).message).toMatch(/subnet 10.1.0.0\/30, subnet 10.2.0.0\/30 are full/);
  });

  it("gives IPv6 addresses from an IPv6 subnet beside IPv4 ones, written canonically", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n6", [{ subnet: "FD00:AB::/64", gateway: "fd00:ab:0::fffe" }, { subnet: "10.40.0.0/24" }], { ipv6: true });
    expect(n.view().ipam.config).toEqual([
      { subnet: "10.40.0.0/24", gateway: "10.40.0.1" },
      { subnet: "fd00:ab::/64", gateway: "fd00:ab::fffe" },
    ]);
    const e = await n.createEndpoint("e");
    expect(e.view()).toMatchObject({ ipv4: "10.40.0.2/24", ipv6: "fd00:ab::1/64", gateway: "10.40.0.1", gateway6: "fd00:ab::fffe" });
    const s = await n.createEndpoint("s", { ip6: "FD00:AB::0:BEEF" });
    expect(s.view().ipv6).toBe("fd00:ab::beef/64");
    expect((await refusal(n.createEndpoint("x", { ip6: "10.40.0.9" }))).message).toBe("--ip6 10.40.0.9 is not an IPv6 address");
  });

  it("refuses IPv6 on the default IPAM without an IPv6 subnet, and an IPv6 subnet without IPv6", async () => {
    const c = await controller();
    expect((await refusal(c.newNetwork("null", "a", { ipam: { driver: "default" }, ipv6: true }))).message).toMatch(
      /needs an IPv6 --subnet: the default IPAM has no default IPv6 pools/,
    );
    expect((await refusal(subnetNet(c, "b", [{ subnet: "fd00::/64" }]))).message).toMatch(/add --ipv6/);
  });

  it("uses no IPAM for a null network without a subnet", async () => {
    const c = await controller();
    const n = await c.newNetwork("null", "plain");
    expect(n.view().ipam).toMatchObject({ driver: "null", config: [], pools: [] });
    expect((await n.createEndpoint("e")).view().ipv4).toBeNull();
    expect((await refusal(n.createEndpoint("f", { ip: "10.0.0.2" }))).message).toMatch(/network plain has no IPv4 subnet/);
  });

  it("records every allocation and release as an event, and releases a deleted network's endpoints and pools", async () => {
    const c = await controller();
    const n = await subnetNet(c, "n", [{ subnet: "10.3.0.0/24", auxAddresses: { r: "10.3.0.9" } }]);
    await n.createEndpoint("e");
    await n.delete({ force: true });
    const ipam: string[] = [];
    for await (const ev of c.events({ type: "ipam" })) {
      const d = ev.data as { address?: string; role?: string; pool: string };
      ipam.push(`${ev.type} ${d.role ?? ""} ${d.address ?? d.pool}`.replace(/\s+/g, " "));
    }
    expect(ipam).toEqual([
      "ipam.pool.requested LocalDefault/10.3.0.0/24",
      "ipam.address.requested gateway 10.3.0.1",
      "ipam.address.requested aux 10.3.0.9",
      "ipam.address.requested endpoint 10.3.0.2",
      "ipam.address.released endpoint 10.3.0.2",
      "ipam.address.released gateway 10.3.0.1",
      "ipam.address.released aux 10.3.0.9",
      "ipam.pool.released LocalDefault/10.3.0.0/24",
    ]);
    expect(c.current().ipamSubnets.size).toBe(0);
  });

  it("rebuilds the same allocation state from the log and from a snapshot", async () => {
    const db = tempDb();
    const c = await controller(db);
    const n = await subnetNet(c, "n", [{ subnet: "10.4.0.0/16" }]);
    for (let i = 0; i < 20; i++) await n.createEndpoint(`e${i}`);
    for (const e of n.endpoints().slice(0, 10)) await e.delete();
    const live = c.stateHash();
    expect(c.verify()).toMatchObject({ ok: true });
    c.snapshot();
    await c.close();
    open.pop();
    const reopened = await controller(db);
    expect(reopened.stateHash()).toBe(live);
    // The cursor came back too: the next address follows the last one handed out (.21), not a freed one.
    expect((await reopened.network("n")!.createEndpoint("next")).view().ipv4).toBe("10.4.0.22/16");
  });
});

describe("default IPAM with a driver that has side effects", () => {
  async function withDriver() {
    const c = await controller();
    const d = new RecordingDriver();
    c.registerDriver("rec", d, { dataScope: "local", sideEffects: true, usesIpam: true });
    return { c, d };
  }

  it("tells CreateNetwork the pools and CreateEndpoint the address, with prefix lengths", async () => {
    const { c, d } = await withDriver();
    const n = await c.newNetwork("rec", "n", { ipam: { config: [{ subnet: "10.12.0.0/24", auxAddresses: { a: "10.12.0.5" } }] } });
    await n.createEndpoint("e");
    expect(d.calls[0]).toMatchObject({
      op: "createNetwork",
      req: { ipv4Data: [{ addressSpace: "LocalDefault", pool: "10.12.0.0/24", gateway: "10.12.0.1/24", auxAddresses: { a: "10.12.0.5/24" } }], ipv6Data: [] },
    });
    expect(d.calls[1]).toMatchObject({ op: "createEndpoint", req: { interface: { address: "10.12.0.2/24", addressIPv6: null } } });
  });

  it("releases the address and removes the endpoint when CreateEndpoint fails", async () => {
    const { c, d } = await withDriver();
    const n = await c.newNetwork("rec", "n", { ipam: { config: [{ subnet: "10.13.0.0/30" }] } });
    d.failOn.createEndpoint = () => "no room in the bridge";
    expect((await refusal(n.createEndpoint("bad"))).message).toMatch(/no room in the bridge/);
    expect(n.endpointByName("bad")).toBeUndefined();
    d.failOn = {};
    // The /30's only endpoint address is free again.
    expect((await n.createEndpoint("good")).view().ipv4).toBe("10.13.0.2/30");
  });

  it("releases the pool and removes the network when CreateNetwork fails, so its name and subnet can be used again", async () => {
    const { c, d } = await withDriver();
    d.failOn.createNetwork = () => "bridge refused";
    await refusal(c.newNetwork("rec", "bad", { ipam: { config: [{ subnet: "10.14.0.0/24" }] } }));
    expect(c.network("bad")).toBeUndefined();
    await subnetNet(c, "good", [{ subnet: "10.14.0.0/24" }]);
    d.failOn = {};
    await c.newNetwork("rec", "bad", { ipam: { config: [{ subnet: "10.15.0.0/24" }] } });
  });

  it("releases an endpoint's address only once DeleteEndpoint has answered, then the network's pool before DeleteNetwork", async () => {
    const { c, d } = await withDriver();
    const n = await c.newNetwork("rec", "n", { ipam: { config: [{ subnet: "10.15.0.0/24" }] } });
    const e = await n.createEndpoint("e");
    await n.delete({ force: true });
    const order: string[] = [];
    for await (const ev of c.events({ since: 1 }))
      if (ev.type.startsWith("ipam.address.released") || ev.type === "ipam.pool.released") order.push(ev.type);
      else if (ev.type === "effect.requested") order.push(`call ${(ev.data as { op: string }).op}`);
    expect(order.slice(2)).toEqual(["call deleteEndpoint", "ipam.address.released", "ipam.address.released", "ipam.pool.released", "call deleteNetwork"]);
    expect(d.ops()).toEqual(["createNetwork", "createEndpoint", "deleteEndpoint", "deleteNetwork"]);
    expect(c.endpoint(e.id)).toBeUndefined();
  });
});
