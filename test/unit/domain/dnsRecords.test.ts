import { produce } from "immer";
import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";
import { decideQuestion, dnsOption, dnsTable, endpointNames, reverseName, touchesDns } from "../../../src/domain/dnsRecords.js";
import type { NewEvent } from "../../../src/domain/events.js";
import { tryParseIp } from "../../../src/domain/ipam/address.js";
import type { PoolRecord } from "../../../src/domain/ipam/pool.js";
import { resolvConf } from "../../../src/domain/resolvconf.js";
import type { State } from "../../../src/domain/state.js";
import { endpoint, hex, joined, network, sandbox, stateOf } from "../../helpers/state.js";

const [front, back, off, nul] = [hex("1"), hex("2"), hex("3"), hex("4")];
const [eWeb, eDb, eDbBack, eOther, eOff, eGone] = [hex("a"), hex("b"), hex("c"), hex("d"), hex("e"), hex("f")];
const [sWeb, sDb, sOther, sOff] = [hex("5"), hex("6"), hex("7"), hex("8")];
const longId = "0123456789abcdef".repeat(4);

/** web and db on front (IPv4 and IPv6), db also on back with other; off has DNS turned off; nul is a null network. */
const events: NewEvent[] = [
  network(front, "front", { ipv6: true }),
  network(back, "back"),
  network(off, "off", { options: { [dnsOption]: "false" } }),
  network(nul, "nul", { driver: "null" }),
  endpoint(eWeb, front, "web", { ipv4: "10.1.0.2/24", ipv6: "fd00:1::2/64", aliases: ["www", "WWW2"] }),
  endpoint(eDb, front, longId, { ipv4: "10.1.0.3/24" }),
  endpoint(eDbBack, back, "db-back", { ipv4: "10.2.0.3/24" }),
  endpoint(eOther, back, "other", { ipv4: "10.2.0.4/24" }),
  endpoint(eOff, off, "quiet", { ipv4: "10.3.0.2/24" }),
  endpoint(eGone, front, "not-joined", { ipv4: "10.1.0.9/24" }),
  sandbox(sWeb, "c-web", { hostname: "webhost", domainname: "example.org" }),
  sandbox(sDb, longId, { hostname: "dbhost", dns: ["192.0.2.53"] }),
  sandbox(sOther, "c-other"),
  sandbox(sOff, "c-off"),
  joined(eWeb, sWeb),
  joined(eDb, sDb),
  joined(eDbBack, sDb),
  joined(eOther, sOther),
  joined(eOff, sOff),
];

const pool = (subnet: string, gateway: string): PoolRecord => ({
  id: `default/${subnet}`, driver: "default", addressSpace: "LocalDefault", family: subnet.includes(":") ? 6 : 4,
  subnet, ipRange: null, gateway, aux: {}, data: {}, allocator: null,
});

/** The hand-made events hold no IPAM pools; the networks get theirs (and so their gateways) here. */
function withPools(s: State): State {
  return produce(s, (d) => {
    C.getMut(d.networks, front)!.pools = [pool("10.1.0.0/24", "10.1.0.1/24"), pool("fd00:1::/64", "fd00:1::1/64")];
    C.getMut(d.networks, back)!.pools = [pool("10.2.0.0/24", "10.2.0.1/24")];
    C.getMut(d.networks, off)!.pools = [pool("10.3.0.0/24", "10.3.0.1/24")];
  });
}
const state = withPools(stateOf(events));
const table = dnsTable(state);

describe("the embedded DNS records (a projection of the state)", () => {
  it("serves each bridge network with DNS on its gateways, and no network created with it off or of another driver", () => {
    expect([...table.networks.keys()].sort()).toEqual([front, back].sort());
    expect(table.networks.get(front)!.gateways).toEqual(["10.1.0.1", "fd00:1::1"]);
  });

  it("names a joined endpoint by its name, aliases, its sandbox's hostname and hostname.domainname, and its container id", () => {
    const names = table.networks.get(front)!.names;
    for (const n of ["web", "www", "www2", "webhost", "webhost.example.org", "c-web"]) expect(names.get(n), n).toEqual({ a: ["10.1.0.2"], aaaa: ["fd00:1::2"] });
    expect(names.get(longId.slice(0, 12))).toEqual({ a: ["10.1.0.3"], aaaa: [] });
    expect(names.has(longId)).toBe(false);
    expect(names.has("not-joined")).toBe(false);
  });

  it("leaves out names DNS cannot carry (a label over 63 bytes)", () => {
    const names = endpointNames(C.get(state.endpoints, eDb)!, C.get(state.sandboxes, sDb));
    expect(names).toEqual(["dbhost", longId.slice(0, 12)]);
  });

  it("answers a client the names of every network its sandbox is on, and nothing of a network it is not on", () => {
    expect(decideQuestion(table, front, "10.1.0.3", "db-back", "A")).toEqual({ kind: "answer", addresses: ["10.2.0.3"] });
    expect(decideQuestion(table, back, "10.2.0.4", "web", "A")).toEqual({ kind: "forward", upstream: [] });
    expect(decideQuestion(table, front, "10.1.0.2", "WebHost.", "AAAA")).toEqual({ kind: "answer", addresses: ["fd00:1::2"] });
    expect(decideQuestion(table, front, "10.1.0.2", "dbhost", "AAAA")).toEqual({ kind: "nodata" });
  });

  it("refuses a client outside the network's subnets, and forwards with the client's --dns servers", () => {
    expect(decideQuestion(table, front, "10.2.0.4", "web", "A")).toEqual({ kind: "refuse" });
    expect(decideQuestion(table, front, "10.1.0.3", "example.com", "A")).toEqual({ kind: "forward", upstream: ["192.0.2.53"] });
  });

  it("gives an address's name back (PTR), IPv4 and IPv6", () => {
    expect(reverseName(tryParseIp("10.1.0.2")!)).toBe("2.0.1.10.in-addr.arpa");
    expect(decideQuestion(table, front, "10.1.0.3", "2.0.1.10.in-addr.arpa", "PTR")).toEqual({ kind: "ptr", name: "web" });
    const v6 = reverseName(tryParseIp("fd00:1::2")!);
    expect(v6).toBe("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa");
    expect(decideQuestion(table, front, "10.1.0.3", v6, "PTR")).toEqual({ kind: "ptr", name: "web" });
    expect(decideQuestion(table, back, "10.2.0.4", "2.0.1.10.in-addr.arpa", "PTR").kind).toBe("forward");
  });
});

describe("a sandbox's resolv.conf with the embedded server", () => {
  const host = "search corp.example\nnameserver 10.255.0.53\noptions ndots:3 timeout:2\n";
  it("names the gateways of its DNS networks, keeps the host's search domains and options, and sets ndots:0", () => {
    expect(resolvConf(state, C.get(state.sandboxes, sDb)!, host)).toBe(
      "search corp.example\nnameserver 10.1.0.1\nnameserver fd00:1::1\nnameserver 10.2.0.1\noptions ndots:0 timeout:2\n",
    );
  });

  it("keeps the host's servers for a sandbox on no network with DNS", () => {
    expect(resolvConf(state, C.get(state.sandboxes, sOff)!, host)).toBe(host);
  });
});

describe("which batches the DNS server follows", () => {
  it("follows a batch that touched a network with a resolver, and not one that touched only others", () => {
    const none = { networks: new Set<string>(), sandboxes: new Set<string>() };
    expect(touchesDns(state, state, { ...none, networks: new Set([front]) })).toBe(true);
    expect(touchesDns(state, state, { ...none, networks: new Set([off, nul]) })).toBe(false);
    expect(touchesDns(state, state, { ...none, sandboxes: new Set([sWeb]) })).toBe(false);
  });
});
