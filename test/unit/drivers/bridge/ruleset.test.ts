import { describe, expect, it } from "vitest";
import { chains, firewallPlan, forwardingNeeded, ruleOwner, rulesetText } from "../../../../src/drivers/bridge/ruleset.js";
import type { NewEvent } from "../../../../src/domain/events.js";
import { endpoint, hex, joined, network, sandbox, stateOf } from "../../../helpers/state.js";

const db = "0123456789abcdef0123456789abcdef";
const [na, nb, ni, nn] = [hex("1"), hex("2"), hex("3"), hex("4")];
const [e1, e2, e3, e4] = [hex("a"), hex("b"), hex("c"), hex("d")];
const [s1, s2] = [hex("5"), hex("6")];
const attempt = { pid: 1, start: "1", boot: "b" };

const base: NewEvent[] = [
  network(na, "a", { ipam: { driver: "default", config: [{ subnet: "10.1.0.0/24", gateway: "10.1.0.1" }, { subnet: "fd00:1::/64" }], options: {} }, ipv6: true }),
  network(nb, "b", { ipam: { driver: "default", config: [{ subnet: "10.2.0.0/24" }], options: {} }, options: { "com.docker.network.bridge.name": "br-b", "com.docker.network.bridge.enable_icc": "false", "com.docker.network.bridge.enable_ip_masquerade": "false" } }),
  network(ni, "i", { ipam: { driver: "default", config: [{ subnet: "10.3.0.0/24" }], options: {} }, internal: true }),
  network(nn, "n", { driver: "null" }),
  sandbox(s1, "c1"),
  sandbox(s2, "c2"),
  endpoint(e1, na, "web", { ipv4: "10.1.0.2/24", ipv6: "fd00:1::2/64", ports: [{ proto: "tcp", port: 80, hostIp: "", hostPort: 8080 }, { proto: "udp", port: 53, hostIp: "127.0.0.1", hostPort: 5353 }] }),
  endpoint(e2, na, "api", { ipv4: "10.1.0.3/24", ports: [{ proto: "tcp", port: 9000, hostIp: "", hostPort: 0 }] }),
  endpoint(e3, ni, "hidden", { ipv4: "10.3.0.2/24", ports: [{ proto: "tcp", port: 22, hostIp: "", hostPort: 2222 }] }),
  endpoint(e4, na, "idle", { ipv4: "10.1.0.4/24", ports: [{ proto: "tcp", port: 1, hostIp: "", hostPort: 1111 }] }),
  joined(e1, s1),
  joined(e3, s1),
  // e2 joins through a driver call whose answer names the host port it picked for port 0.
  { type: "endpoint.joined", stream: e2, data: { id: e2, sandbox: s2, pending: true } },
  { type: "effect.requested", stream: e2, data: { driver: "bridge", op: "join", resource: e2, args: { networkId: na, endpointId: e2, sandboxId: s2, sandboxKey: null, options: {} }, root: "r", attempt } },
];
const succeeded = (seq: number): NewEvent => ({
  type: "effect.succeeded",
  stream: e2,
  data: { effect: seq, result: { portMappings: [{ proto: "tcp", port: 9000, hostIp: "", hostPort: 40123 }] } },
});
const state = stateOf([...base, succeeded(base.length)]);

describe("the bridge driver's nftables ruleset, a pure function of the state", () => {
  const plan = firewallPlan(state, db);

  it("has one table per database and a network entry for every bridge network, none for other drivers", () => {
    expect(plan.table).toBe("netledger_01234567");
    expect(plan.networks.map((n) => n.bridge)).toEqual(["br-b", `nl-${na.slice(0, 12)}`, `nl-${ni.slice(0, 12)}`]);
  });

  it("publishes the joined endpoints' ports, with the host port the driver picked for port 0, and nothing of an internal network or an idle endpoint", () => {
    expect(plan.ports.map((p) => `${p.proto} ${p.hostIp || "*"}:${p.hostPort} -> ${p.address}:${p.port}`)).toEqual([
      "udp 127.0.0.1:5353 -> 10.1.0.2:53",
      "tcp *:8080 -> 10.1.0.2:80",
      "tcp *:8080 -> fd00:1::2:80",
      "tcp *:40123 -> 10.1.0.3:9000",
    ]);
    const ports = chains(plan).ports;
    expect(ports).toContain(`meta nfproto ipv4 tcp dport 8080 dnat ip to 10.1.0.2:80 comment "endpoint:${e1}"`);
    expect(ports).toContain(`meta nfproto ipv6 tcp dport 8080 dnat ip6 to [fd00:1::2]:80 comment "endpoint:${e1}"`);
    expect(ports).toContain(`ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.1.0.2:53 comment "endpoint:${e1}"`);
  });

  it("masquerades outbound traffic unless the network is internal or says not to, and isolates bridges from each other", () => {
    const c = chains(plan);
    const a = `nl-${na.slice(0, 12)}`;
    const i = `nl-${ni.slice(0, 12)}`;
    expect(c.postrouting).toContain(`ip saddr 10.1.0.0/24 oifname != "${a}" masquerade comment "network:${na}"`);
    expect(c.postrouting).toContain(`ip6 saddr fd00:1::/64 oifname != "${a}" masquerade comment "network:${na}"`);
    expect(c.postrouting.some((r) => r.includes("10.2.0.0/24"))).toBe(false);
    expect(c.postrouting.some((r) => r.includes("10.3.0.0/24") || r.includes(`"${i}"`))).toBe(false);
    expect(c.forward).toContain(`iifname "${a}" oifname @bridges oifname != "${a}" drop comment "network:${na}"`);
    expect(c.forward).toContain(`iifname "${i}" oifname != "${i}" drop comment "network:${ni}"`);
    expect(c.forward).toContain(`oifname "${i}" iifname != "${i}" drop comment "network:${ni}"`);
    expect(c.forward).toContain(`iifname "br-b" oifname "br-b" drop comment "network:${nb}"`);
    // Connections to a published port are let through before isolation.
    expect(c.forward.indexOf("ct status dnat accept")).toBeLessThan(c.forward.findIndex((r) => r.includes("drop")));
  });

  it("is one atomic script that replaces the table, and only removes it when no network needs it", () => {
    const text = rulesetText(plan);
    expect(text.split("\n").slice(0, 3)).toEqual(["table inet netledger_01234567 {}", "delete table inet netledger_01234567", "table inet netledger_01234567 {"]);
    expect(rulesetText(firewallPlan(stateOf([network(nn, "n", { driver: "null" })]), db))).toBe(
      "table inet netledger_01234567 {}\ndelete table inet netledger_01234567\n",
    );
  });

  it("asks for forwarding only where a network has a way out", () => {
    expect(forwardingNeeded(plan)).toEqual({ ipv4: true, ipv6: true });
    expect(forwardingNeeded(firewallPlan(stateOf([network(ni, "i", { internal: true })]), db))).toEqual({ ipv4: false, ipv6: false });
  });

  it("names in every rule's comment whose it is", () => {
    expect(ruleOwner(`endpoint:${e1}`)).toEqual({ kind: "endpoint", id: e1 });
    expect(ruleOwner("something else")).toBeUndefined();
  });
});
