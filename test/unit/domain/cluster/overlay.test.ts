import { describe, expect, it } from "vitest";
import { decideCluster } from "../../../../src/domain/cluster/decide.js";
import type { ClusterCommand } from "../../../../src/domain/cluster/events.js";
import { overlayView, selfNode } from "../../../../src/domain/cluster/peers.js";
import { isNetledgerError } from "../../../../src/domain/errors.js";
import { givenCluster, hexOf, nodeJoin, withUnreadEndpoints } from "../../../helpers/clusterGiven.js";

const given = givenCluster;

const id = hexOf;
const join = nodeJoin;
const overlay = (n: number, vni: number | "auto" = "auto", extra: Partial<Extract<ClusterCommand, { type: "global.network.create" }>> = {}): ClusterCommand => ({
  type: "global.network.create",
  id: id(n),
  name: `ov${n}`,
  driver: "overlay",
  labels: {},
  vni,
  ...extra,
});
const ep = (n: number, network: number, node: string): ClusterCommand => ({ type: "global.endpoint.create", id: id(1000 + n), name: `ep${n}`, network: id(network), node });

describe("overlay networks in the cluster log", () => {
  it("gives each overlay network the lowest free VXLAN id from 4096, and a given one when no network holds it", () => {
    const s = given(overlay(1), overlay(2, 5000), overlay(3));
    expect([1, 2, 3].map((n) => s.networks[id(n)]!.vni)).toEqual([4096, 5000, 4097]);
  });

  it("refuses a VXLAN id another network holds, naming it", () => {
    try {
      decideCluster(given(overlay(1, 7000)), overlay(2, 7000));
      throw new Error("expected a refusal");
    } catch (e) {
      expect(isNetledgerError(e) && e.code === "Conflict" && /VXLAN id 7000 .* ov1/.test(e.message)).toBe(true);
    }
  });

  it("keeps the creator's options and --internal so every node mirrors the network as asked", () => {
    const s = given(overlay(1, "auto", { options: { "com.docker.network.driver.mtu": "1400" }, internal: true }));
    expect(s.networks[id(1)]).toMatchObject({ options: { "com.docker.network.driver.mtu": "1400" }, internal: true });
  });

  it("names as peers of a node every endpoint of its overlay networks on the other alive nodes, with their node's address", () => {
    const s = given(join("a", "192.0.2.1"), join("b", "192.0.2.2"), join("c", "192.0.2.3"), overlay(1), ep(1, 1, "a"), ep(2, 1, "b"), ep(3, 1, "c"));
    const v = overlayView(s, "a", "192.0.2.1");
    expect(v.localAddress).toBe("192.0.2.1");
    expect(v.networks[id(1)]).toEqual({
      vni: 4096,
      peers: [
        { endpoint: id(1002), address: "10.0.0.3", nodeAddress: "192.0.2.2" },
        { endpoint: id(1003), address: "10.0.0.4", nodeAddress: "192.0.2.3" },
      ],
    });
  });

  it("walks no endpoint when the cluster has no overlay network (the projection runs after every fold)", () => {
    const s = given(join("a", "192.0.2.1"), join("b", "192.0.2.2"));
    expect(overlayView(withUnreadEndpoints(s), "a", "192.0.2.1")).toEqual({ localAddress: "192.0.2.1", networks: {} });
  });

  it("drops a lost node's endpoints from the peers (they are reclaimed in the same decision)", () => {
    const s = given(join("a", "192.0.2.1"), join("c", "192.0.2.3"), overlay(1), ep(1, 1, "a"), ep(3, 1, "c"), { type: "global.node.lose", name: "c", by: "a", removed: false });
    expect(overlayView(s, "a", "192.0.2.1").networks[id(1)]!.peers).toEqual([]);
  });
  it("knows which node a database is from the cluster state alone: where its endpoints live, else the node at the device's address", () => {
    const s = given(join("a", "192.0.2.1"), join("b", "192.0.2.2"), overlay(1), ep(1, 1, "a"), ep(2, 1, "b"));
    expect(selfNode(s, [id(1002)], "192.0.2.1")).toBe("b");
    expect(selfNode(s, [id(9999)], "192.0.2.1")).toBe("a");
    expect(selfNode(s, [], "192.0.2.7")).toBeUndefined();
  });

  it("takes the alive node at an address before a lost one that had it", () => {
    const s = given(join("old", "192.0.2.1"), { type: "global.node.lose", name: "old", by: "new", removed: false }, join("new", "192.0.2.1"));
    expect(selfNode(s, [], "192.0.2.1")).toBe("new");
  });
});
