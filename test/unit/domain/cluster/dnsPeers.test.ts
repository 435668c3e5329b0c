import * as packet from "dns-packet";
import { produce } from "immer";
import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { DnsService } from "../../../../src/dns/service.js";
import { decideCluster } from "../../../../src/domain/cluster/decide.js";
import { dnsPeers } from "../../../../src/domain/cluster/dnsPeers.js";
import type { ClusterCommand } from "../../../../src/domain/cluster/events.js";
import { decideQuestion, dnsTable, endpointNames, resolverNetworks } from "../../../../src/domain/dnsRecords.js";
import type { PoolRecord } from "../../../../src/domain/ipam/pool.js";
import type { State } from "../../../../src/domain/state.js";
import { endpoint, joined, network, sandbox, stateOf } from "../../../helpers/state.js";
import { givenCluster, hexOf, nodeJoin, withUnreadEndpoints } from "../../../helpers/clusterGiven.js";

/**
 * Names of endpoints on other nodes, given the cluster log's commands and this node's own local state
 * (what it mirrored): no database, no etcd. Node "a" is this node; "b" and "c" are the others.
 */
const given = givenCluster;

const id = hexOf;
const join = nodeJoin;
const overlay = (n: number, subnet: string): ClusterCommand => ({ type: "global.network.create", id: id(n), name: `ov${n}`, driver: "overlay", labels: {}, vni: "auto", subnet });
const ep = (n: number, network: number, node: string, names?: string[]): ClusterCommand => ({
  type: "global.endpoint.create",
  id: id(1000 + n),
  name: `ep${n}`,
  network: id(network),
  node,
  ...(names ? { names } : {}),
});
/** The nodes, the two overlay networks, and this node's own endpoints on them (10.5.1.2 and 10.5.2.2). */
const cluster = [join("a", "192.0.2.1"), join("b", "192.0.2.2"), join("c", "192.0.2.3"), overlay(1, "10.5.1.0/24"), overlay(2, "10.5.2.0/24"), ep(1, 1, "a"), ep(5, 2, "a")];

const pool = (subnet: string, gateway: string): PoolRecord => ({
  id: `GlobalDefault/${subnet}`, driver: "default", addressSpace: "GlobalDefault", family: 4, subnet, ipRange: null, gateway, aux: {}, data: {}, allocator: null,
});
/** This node's local log: both overlay networks mirrored, a sandbox joined to each (10.5.1.2 and 10.5.2.2). */
const [sOne, sTwo, eOne, eTwo] = [id(11), id(12), id(1), id(2)].map((x) => x.replace(/^0/, "f"));
const local: State = produce(
  stateOf([
    network(id(1), "ov1", { driver: "overlay", scope: "global" }),
    network(id(2), "ov2", { driver: "overlay", scope: "global" }),
    sandbox(sOne!, "c-one", { hostname: "one" }),
    sandbox(sTwo!, "c-two", { hostname: "two" }),
    endpoint(eOne!, id(1), "here1", { ipv4: "10.5.1.2/24" }),
    endpoint(eTwo!, id(2), "here2", { ipv4: "10.5.2.2/24" }),
    joined(eOne!, sOne!),
    joined(eTwo!, sTwo!),
  ]),
  (d) => {
    C.getMut(d.networks, id(1))!.pools = [pool("10.5.1.0/24", "10.5.1.1/24")];
    C.getMut(d.networks, id(2))!.pools = [pool("10.5.2.0/24", "10.5.2.1/24")];
  },
);

describe("names of endpoints on other nodes (a projection of the cluster state)", () => {
  it("names every endpoint of a global network on another alive node with the names its node gave it, and none of this node's own", () => {
    const names = endpointNames({ name: "c-web", aliases: ["WWW"] }, { hostname: "web", domainname: "", containerId: "c-web" });
    const s = given(...cluster, ep(2, 1, "b", names), ep(3, 2, "c"));
    expect(dnsPeers(s, "a")).toEqual([
      { network: id(1), address: "10.5.1.3", names: ["c-web", "www", "web"] },
      // An endpoint created without names (an older node, an older log) answers to its endpoint name.
      { network: id(2), address: "10.5.2.3", names: ["ep3"] },
    ]);
  });

  it("answers a sandbox of this node on the same overlay network with the other node's endpoint, by each of its names, and gives its name back for its address", () => {
    const s = given(...cluster, ep(2, 1, "b", ["c-web", "www", "web"]));
    const table = dnsTable(local, dnsPeers(s, "a"));
    for (const name of ["c-web", "WWW", "web."]) expect(decideQuestion(table, id(1), "10.5.1.2", name, "A"), name).toEqual({ kind: "answer", addresses: ["10.5.1.3"] });
    expect(decideQuestion(table, id(1), "10.5.1.2", "web", "AAAA")).toEqual({ kind: "nodata" });
    expect(decideQuestion(table, id(1), "10.5.1.2", "3.1.5.10.in-addr.arpa", "PTR")).toEqual({ kind: "ptr", name: "c-web" });
    // This node's own sandboxes are still answered from the local state.
    expect(decideQuestion(table, id(1), "10.5.1.2", "one", "A")).toEqual({ kind: "answer", addresses: ["10.5.1.2"] });
  });

  it("keeps another overlay network's sandboxes from seeing it", () => {
    const s = given(...cluster, ep(2, 1, "b", ["web"]));
    const table = dnsTable(local, dnsPeers(s, "a"));
    expect(decideQuestion(table, id(2), "10.5.2.2", "web", "A")).toEqual({ kind: "forward", upstream: [] });
    expect(decideQuestion(table, id(2), "10.5.2.2", "3.1.5.10.in-addr.arpa", "PTR").kind).toBe("forward");
  });

  it("forgets the endpoint when the cluster deletes it, and a lost node's endpoints with the node", () => {
    const s = given(...cluster, ep(2, 1, "b", ["web"]), ep(3, 1, "c", ["db"]));
    const deleted = given(...cluster, ep(2, 1, "b", ["web"]), ep(3, 1, "c", ["db"]), { type: "global.endpoint.delete", endpoint: id(1002) });
    const lost = given(...cluster, ep(2, 1, "b", ["web"]), ep(3, 1, "c", ["db"]), { type: "global.node.lose", name: "c", by: "a", removed: false });
    expect(dnsPeers(s, "a").map((r) => r.names[0])).toEqual(["web", "db"]);
    const after = dnsTable(local, dnsPeers(deleted, "a"));
    expect(decideQuestion(after, id(1), "10.5.1.2", "web", "A").kind).toBe("forward");
    expect(decideQuestion(after, id(1), "10.5.1.2", "db", "A")).toEqual({ kind: "answer", addresses: ["10.5.1.4"] });
    expect(decideQuestion(dnsTable(local, dnsPeers(lost, "a")), id(1), "10.5.1.2", "db", "A").kind).toBe("forward");
  });

  it("leaves out remote names DNS cannot carry, and an endpoint of a network this node has no server for", () => {
    const s = given(...cluster, overlay(3, "10.5.3.0/24"), ep(2, 1, "b", ["x".repeat(64), "ok"]), ep(4, 3, "b", ["elsewhere"]));
    const table = dnsTable(local, dnsPeers(s, "a"));
    expect([...table.networks.get(id(1))!.names.keys()].sort()).toEqual(["c-one", "here1", "ok", "one"]);
    expect(table.networks.has(id(3))).toBe(false);
  });

  it("names only the endpoints of the networks asked for, and reads none when none are asked", () => {
    const s = given(...cluster, ep(2, 1, "b", ["web"]), ep(3, 2, "c", ["db"]));
    expect(resolverNetworks(local)).toEqual(new Set([id(1), id(2)]));
    expect(dnsPeers(s, "a", new Set([id(2)]))).toEqual([{ network: id(2), address: "10.5.2.3", names: ["db"] }]);
    expect(dnsPeers(withUnreadEndpoints(s), "a", new Set())).toEqual([]);
  });

  it("carries the names in the cluster log's event, and an event without them still folds (older logs)", () => {
    const s = given(...cluster);
    const [withNames] = decideCluster(s, ep(2, 1, "b", ["web"]));
    const [without] = decideCluster(s, ep(2, 1, "b"));
    expect(withNames!.data).toMatchObject({ names: ["web"] });
    expect(without!.data).not.toHaveProperty("names");
  });
});

describe("the DNS service asking the cluster for the names of endpoints on other nodes", () => {
  const query = (name: string) => packet.encode({ type: "query", id: 9, flags: packet.RECURSION_DESIRED, questions: [{ type: "A", name, class: "IN" }] });

  it("asks only for the networks it serves, and answers a sandbox here with an endpoint on another node", async () => {
    const s = given(...cluster, ep(2, 1, "b", ["web"]));
    const asked: string[][] = [];
    // A port nothing listens on: the gateways are not on this host, so its listeners only retry.
    const dns = new DnsService({ port: 1, retryMs: 60_000 });
    try {
      await dns.rebuild(local);
      await dns.peers((networks) => {
        asked.push([...networks].sort());
        return dnsPeers(s, "a", networks);
      });
      expect(asked).toEqual([[id(1), id(2)].sort()]);
      const reply = packet.decode((await dns.answer("10.5.1.1", query("web"), "10.5.1.2", false))!);
      expect(reply.answers?.map((a) => (a.type === "A" ? a.data : a.type))).toEqual(["10.5.1.3"]);
    } finally {
      await dns.close();
    }
  });

  it("never asks when no network here has a DNS server, however large the cluster", async () => {
    let asked = 0;
    const dns = new DnsService({ port: 1, retryMs: 60_000 });
    try {
      await dns.rebuild(stateOf([network(id(1), "plain", { driver: "null", scope: "global" })]));
      await dns.peers(() => {
        asked++;
        return [];
      });
      expect(asked).toBe(0);
    } finally {
      await dns.close();
    }
  });
});
