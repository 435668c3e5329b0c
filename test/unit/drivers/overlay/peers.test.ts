import { describe, expect, it } from "vitest";
import { diffEntries, entryOf } from "../../../../src/drivers/overlay/peers.js";
import { vniOf, vxlanName, overlayBridgeName, overlayMtu } from "../../../../src/drivers/overlay/names.js";

const have = (fdb: [string, string][], neigh: [string, string][]) => ({ fdb: new Map(fdb), neigh: new Map(neigh) });

describe("the overlay peer entries", () => {
  it("derives a peer's MAC from its address, as every node does", () => {
    expect(entryOf({ endpoint: "ab".repeat(32), address: "10.0.0.3", nodeAddress: "192.0.2.2" })).toEqual({ mac: "02:42:0a:00:00:03", ip: "10.0.0.3", dst: "192.0.2.2" });
  });

  it("adds what is missing or points elsewhere and drops what no peer names", () => {
    const want = [
      { mac: "02:42:0a:00:00:03", ip: "10.0.0.3", dst: "192.0.2.2" },
      { mac: "02:42:0a:00:00:04", ip: "10.0.0.4", dst: "192.0.2.3" },
    ];
    const d = diffEntries(want, have([["02:42:0a:00:00:03", "192.0.2.2"], ["02:42:0a:00:00:04", "192.0.2.9"], ["02:42:0a:00:00:09", "192.0.2.3"]], [["10.0.0.3", "02:42:0a:00:00:03"], ["10.0.0.9", "02:42:0a:00:00:09"]]));
    expect(d).toEqual({ add: [want[1]], dropMacs: ["02:42:0a:00:00:09"], dropIps: ["10.0.0.9"] });
  });

  it("finds nothing to change when the kernel holds exactly the peers", () => {
    const want = [{ mac: "02:42:0a:00:00:03", ip: "10.0.0.3", dst: "192.0.2.2" }];
    expect(diffEntries(want, have([["02:42:0a:00:00:03", "192.0.2.2"]], [["10.0.0.3", "02:42:0a:00:00:03"]]))).toEqual({ add: [], dropMacs: [], dropIps: [] });
  });
});

describe("overlay names and options", () => {
  it("names a network's bridge and VXLAN device within 15 characters", () => {
    expect(overlayBridgeName("0123456789abcdef")).toBe("nlo0123456789ab");
    expect(vxlanName("0123456789abcdef")).toBe("nlx0123456789ab");
  });

  it("reads Docker's vxlanid_list (its first id) and refuses one out of range", () => {
    expect(vniOf({ "com.docker.network.driver.overlay.vxlanid_list": "4242,4243" })).toBe(4242);
    expect(vniOf({})).toBeUndefined();
    expect(() => vniOf({ "com.docker.network.driver.overlay.vxlanid_list": "16777216" })).toThrow(/VXLAN id from 1 to 16777215/);
  });

  it("defaults the MTU to 1450 and takes the mtu option", () => {
    expect(overlayMtu({})).toBe(1450);
    expect(overlayMtu({ "com.docker.network.driver.mtu": "1400" })).toBe(1400);
    expect(() => overlayMtu({ "com.docker.network.driver.mtu": "12" })).toThrow(/MTU from 68/);
  });
});

describe("the peer table's first view", () => {
  it("lets a Join wait for the cluster node's first view, and answers at once after it", async () => {
    const { PeerTable } = await import("../../../../src/drivers/overlay/peers.js");
    const t = new PeerTable();
    const waiting = t.ready(10_000);
    t.view = { localAddress: "192.0.2.1", networks: {} };
    expect((await waiting)?.localAddress).toBe("192.0.2.1");
    expect((await t.ready(0))?.localAddress).toBe("192.0.2.1");
  });

  it("gives up after its bound when no cluster node ever hands one over", async () => {
    const { PeerTable } = await import("../../../../src/drivers/overlay/peers.js");
    expect(await new PeerTable().ready(20)).toBeUndefined();
  });
});
