import { describe, expect, it } from "vitest";
import { decideCluster } from "../../../../src/domain/cluster/decide.js";
import { type ClusterCommand, type ClusterNewEvent, parseClusterCommand } from "../../../../src/domain/cluster/events.js";
import { type ClusterState, foldCluster, globalEndpoints } from "../../../../src/domain/cluster/state.js";
import { isNetledgerError } from "../../../../src/domain/errors.js";
import { givenCluster } from "../../../helpers/clusterGiven.js";

const given = givenCluster;

function refusal(s: ClusterState, c: ClusterCommand): { code: string; message: string } {
  try {
    decideCluster(s, c);
  } catch (e) {
    if (isNetledgerError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

const id = (n: number) => n.toString(16).padStart(64, "0");
const join = (name: string): ClusterCommand => ({ type: "global.node.join", name, address: "192.0.2.1" });
const net = (n: number, subnet?: string): ClusterCommand => ({ type: "global.network.create", id: id(n), name: `net${n}`, driver: "overlay", labels: {}, ...(subnet ? { subnet } : {}) });
const ep = (n: number, network: number, node: string, address?: string): Extract<ClusterCommand, { type: "global.endpoint.create" }> => ({
  type: "global.endpoint.create",
  id: id(1000 + n),
  name: `ep${n}`,
  network: id(network),
  node,
  ...(address ? { address } : {}),
});
const data = (events: ClusterNewEvent[]) => events.map((e) => ({ type: e.type, data: e.data }));

describe("deciding global commands", () => {
  it("gives a network without a subnet the first free /24 of GlobalDefault, and the next network the next one", () => {
    const s = given(net(1));
    expect(s.networks[id(1)]).toMatchObject({ subnet: "10.0.0.0/24", gateway: "10.0.0.1", pool: "GlobalDefault/10.0.0.0/24" });
    expect(given(net(1), net(2)).networks[id(2)]!.subnet).toBe("10.0.1.0/24");
  });

  it("refuses a subnet that overlaps another global network's", () => {
    expect(refusal(given(net(1, "10.5.0.0/16")), net(2, "10.5.3.0/24"))).toMatchObject({ code: "Forbidden", message: expect.stringMatching(/overlaps 10.5.0.0\/16/) });
  });

  it("hands out addresses in order after the gateway, and never one that is taken", () => {
    const s = given(join("a"), net(1), ep(1, 1, "a"), ep(2, 1, "a"));
    expect(globalEndpoints(s).map((e) => e.address).sort()).toEqual(["10.0.0.2", "10.0.0.3"]);
    expect(refusal(s, ep(3, 1, "a", "10.0.0.3")).code).toBe("Conflict");
    expect(refusal(s, ep(3, 1, "a", "10.0.0.1")).code).toBe("Conflict");
  });

  it("refuses an endpoint on a node that is not an alive member", () => {
    expect(refusal(given(net(1)), ep(1, 1, "ghost")).message).toMatch(/node ghost is not an alive member/);
  });

  it("refuses an endpoint name used twice in one network (moby#20398's message)", () => {
    expect(refusal(given(join("a"), net(1), ep(1, 1, "a")), { ...ep(2, 1, "a"), name: "ep1" }).message).toMatch(/endpoint with name ep1 already exists/);
  });

  it("reclaims a lost node's endpoints and frees their addresses in the same decision", () => {
    const s = given(join("a"), join("b"), net(1), ep(1, 1, "a"), ep(2, 1, "b"));
    const events = decideCluster(s, { type: "global.node.lose", name: "a", by: "b", removed: false });
    expect(data(events)).toEqual([
      { type: "global.endpoint.deleted", data: { id: id(1001), reclaimed: true } },
      { type: "global.node.lost", data: { name: "a", by: "b", removed: false } },
    ]);
    const after = foldCluster(s, events.map((event, i) => ({ event, seq: s.seq + 1 + i })));
    expect(after.nodes["a"]!.state).toBe("lost");
    // The reclaimed address is free again (serial allocation: it comes round after the rest).
    const again = given(join("a"), join("b"), net(1, "10.1.0.0/30"), ep(1, 1, "a"));
    expect(refusal(again, ep(2, 1, "b")).code).toBe("Exhausted");
    const lost = foldCluster(again, decideCluster(again, { type: "global.node.lose", name: "a", by: "b", removed: false }).map((event, i) => ({ event, seq: again.seq + 1 + i })));
    expect(data(decideCluster(lost, ep(2, 1, "b")))[0]!.data).toMatchObject({ address: "10.1.0.2" });
  });

  it("refuses to delete a network that still has endpoints", () => {
    expect(refusal(given(join("a"), net(1), ep(1, 1, "a")), { type: "global.network.delete", network: "net1" }).code).toBe("ActiveEndpoints");
  });

  it("records nothing when a node joins again at the same address", () => {
    expect(decideCluster(given(join("a")), join("a"))).toEqual([]);
  });

  it("parses commands with their schema and names what is wrong", () => {
    expect(() => parseClusterCommand({ type: "global.network.create", id: "short", name: "x", driver: "d" })).toThrow(/id/);
    expect(() => parseClusterCommand({ type: "global.nope" })).toThrow(/unknown cluster command/);
  });
});
