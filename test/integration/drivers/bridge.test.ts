import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateNetworkRequest, EffectCall, JoinRequest, NetworkDriver } from "../../../src/drivers/contract.js";
import { bridgeDriver } from "../../../src/drivers/bridge/index.js";
import { applyRuleset, enableForwarding } from "../../../src/drivers/bridge/nftables.js";
import { type FirewallPlan, forwardingNeeded, rulesetText } from "../../../src/drivers/bridge/ruleset.js";
import { netnsSandboxDriver } from "../../../src/drivers/netns/index.js";
import {
  cleanupKernel,
  inNs,
  isRoot,
  links,
  linksOf,
  needsRoot,
  nftTables,
  randomId,
  routes,
  sh,
  tableOf,
  tcpAsk,
  tcpServer,
  testDatabaseId,
  kernelReady,
  needsKernel,
} from "../../helpers/kernel.js";

/**
 * The bridge driver through its NetworkDriver methods, with the addresses IPAM will hand out given
 * explicitly, on real namespaces, bridges, veths and nftables. One topology for the file (building it
 * costs a few hundred milliseconds of kernel time): networks A (IPv4 + IPv6, MTU 1400) and B, and an
 * internal network I; sandboxes s1 and s2 on A, s3 on B, s4 on I, and s1 also on I.
 */
const databaseId = testDatabaseId();
const runDir = mkdtempSync(join(tmpdir(), "netledger-bridge-"));
const call: EffectCall = { effectId: 1, attempt: 1, databaseId };
const bridge: NetworkDriver = bridgeDriver();
const sandboxes = netnsSandboxDriver();

interface Net {
  id: string;
  bridge: string;
  subnet: string;
  gw: string;
  subnet6?: string;
  gw6?: string;
  internal: boolean;
  options: Record<string, string>;
}
const nets: Record<"A" | "B" | "I", Net> = {
  A: { id: randomId(), bridge: "", subnet: "10.213.1.0/24", gw: "10.213.1.1", subnet6: "fd42:213:1::/64", gw6: "fd42:213:1::1", internal: false, options: { "com.docker.network.driver.mtu": "1400" } },
  B: { id: randomId(), bridge: "", subnet: "10.213.2.0/24", gw: "10.213.2.1", internal: false, options: {} },
  I: { id: randomId(), bridge: "", subnet: "10.213.3.0/24", gw: "10.213.3.1", internal: true, options: {} },
};
for (const n of Object.values(nets)) n.bridge = `nl-${n.id.slice(0, 12)}`;
const sb = Object.fromEntries(["s1", "s2", "s3", "s4"].map((k) => [k, { id: randomId(), key: join(runDir, "netns", randomId()) }])) as Record<
  "s1" | "s2" | "s3" | "s4",
  { id: string; key: string }
>;
interface Ep {
  id: string;
  net: Net;
  sandbox: { id: string; key: string };
  ip: string;
  ip6?: string;
}
const eps: Record<string, Ep> = {
  a1: { id: randomId(), net: nets.A, sandbox: sb.s1, ip: "10.213.1.2/24", ip6: "fd42:213:1::2/64" },
  a2: { id: randomId(), net: nets.A, sandbox: sb.s2, ip: "10.213.1.3/24", ip6: "fd42:213:1::3/64" },
  b3: { id: randomId(), net: nets.B, sandbox: sb.s3, ip: "10.213.2.2/24" },
  i4: { id: randomId(), net: nets.I, sandbox: sb.s4, ip: "10.213.3.2/24" },
  i1: { id: randomId(), net: nets.I, sandbox: sb.s1, ip: "10.213.3.3/24" },
};
const servers: ChildProcess[] = [];

function networkRequest(n: Net): CreateNetworkRequest {
  const config = [{ subnet: n.subnet, gateway: n.gw }, ...(n.subnet6 ? [{ subnet: n.subnet6, gateway: n.gw6! }] : [])];
  return { networkId: n.id, name: n.bridge, options: n.options, labels: {}, ipv6: !!n.subnet6, internal: n.internal, ipam: { driver: "default", config } };
}

function joinRequest(e: Ep, mac: string | null): JoinRequest {
  return {
    networkId: e.net.id,
    endpointId: e.id,
    sandboxId: e.sandbox.id,
    sandboxKey: e.sandbox.key,
    options: { ports: [] },
    interface: { address: e.ip, addressIPv6: e.ip6 ?? null, mac },
    gateway: e.net.gw,
    gatewayIPv6: e.net.gw6 ?? null,
    network: { options: e.net.options, internal: e.net.internal, ipv6: !!e.net.subnet6 },
  };
}

const plain = (cidr: string) => cidr.split("/")[0]!;

function plan(ports: FirewallPlan["ports"]): FirewallPlan {
  return {
    table: tableOf(databaseId),
    networks: Object.values(nets).map((n) => ({
      id: n.id,
      bridge: n.bridge,
      subnets: [n.subnet, ...(n.subnet6 ? [n.subnet6] : [])],
      internal: n.internal,
      masquerade: true,
      icc: true,
    })),
    ports,
  };
}

describe.skipIf(!kernelReady)(`the bridge driver on real namespaces (${needsKernel})`, () => {
  beforeAll(async () => {
    for (const s of Object.values(sb)) await sandboxes.createSandbox({ sandboxId: s.id, key: s.key, create: true }, call);
    for (const n of Object.values(nets)) await bridge.createNetwork(networkRequest(n), call);
    for (const e of Object.values(eps)) {
      const r = await bridge.createEndpoint(
        { networkId: e.net.id, endpointId: e.id, interface: { address: e.ip, addressIPv6: e.ip6 ?? null, mac: null }, options: { ports: [], aliases: [] } },
        call,
      );
      await bridge.join(joinRequest(e, r.interface?.mac ?? null), call);
    }
    servers.push(await tcpServer(sb.s1.key, 8080, "s1"));
    const p = plan([{ endpoint: eps["a1"]!.id, bridge: nets.A.bridge, proto: "tcp", hostIp: "", hostPort: 18080, address: plain(eps["a1"]!.ip), port: 8080 }]);
    // IPv4 forwarding as the driver needs it; IPv6 forwarding would change how the host treats router
    // advertisements, so the test leaves it alone (its IPv6 traffic stays on one bridge).
    expect(forwardingNeeded(p)).toEqual({ ipv4: true, ipv6: true });
    enableForwarding({ ipv4: true, ipv6: false });
    await applyRuleset(rulesetText(p));
  });

  afterAll(() => {
    for (const s of servers) s.kill("SIGKILL");
    cleanupKernel(databaseId, runDir);
  });

  it("makes a bridge per network, named from the network id, holding the gateways, owned by the database", () => {
    const a = links().find((l) => l.ifname === nets.A.bridge)!;
    expect(a).toMatchObject({ ifalias: `netledger/${databaseId}/network/${nets.A.id}`, mtu: 1400 });
    expect(a.linkinfo?.info_kind).toBe("bridge");
    expect(sh("ip", ["-br", "addr", "show", "dev", nets.A.bridge])).toMatch(/10\.213\.1\.1\/24 fd42:213:1::1\/64/);
    expect(readFileSync(`/proc/sys/net/ipv4/conf/${nets.A.bridge}/route_localnet`, "utf8").trim()).toBe("1");
  });

  it("gives each sandbox eth0, eth1… in join order, with the endpoint's address, MAC, MTU and alias, its host end on the bridge", () => {
    const s1 = links(sb.s1.key);
    const a1 = eps["a1"]!;
    expect(s1.find((l) => l.ifname === "eth0")).toMatchObject({ ifalias: `netledger/${databaseId}/endpoint/${a1.id}`, address: "02:42:0a:d5:01:02", mtu: 1400 });
    expect(s1.find((l) => l.ifname === "eth1")?.ifalias).toBe(`netledger/${databaseId}/endpoint/${eps["i1"]!.id}`);
    expect(inNs(sb.s1.key, "ip", ["-br", "addr", "show", "eth0"])).toMatch(/10\.213\.1\.2\/24 fd42:213:1::2\/64/);
    const host = links().find((l) => l.ifname === `nlv${a1.id.slice(0, 12)}`)!;
    expect(host).toMatchObject({ master: nets.A.bridge, ifalias: `netledger/${databaseId}/endpoint/${a1.id}` });
  });

  it("lets two sandboxes on one network reach each other by address, over IPv4 and IPv6", async () => {
    servers.push(await tcpServer(sb.s2.key, 7000, "s2"));
    expect(tcpAsk(sb.s1.key, plain(eps["a2"]!.ip), 7000)).toEqual({ ok: true, text: "s2" });
    expect(tcpAsk(sb.s1.key, plain(eps["a2"]!.ip6!), 7000)).toEqual({ ok: true, text: "s2" });
  });

  it("routes out through the gateway, except on an internal network, which gets no default route", () => {
    expect(routes(sb.s2.key)).toMatch(/^default via 10\.213\.1\.1 dev eth0/m);
    expect(routes(sb.s2.key, "-6")).toMatch(/^default via fd42:213:1::1 dev eth0/m);
    expect(routes(sb.s4.key)).not.toMatch(/default/);
    expect(routes(sb.s4.key)).toMatch(/10\.213\.3\.0\/24 dev eth0/);
  });

  it("keeps a sandbox on another bridge network from reaching them, and the internal network from the others", async () => {
    expect(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim()).toBe("1");
    expect(tcpAsk(sb.s3.key, plain(eps["a1"]!.ip), 8080).ok).toBe(false);
    servers.push(await tcpServer(sb.s4.key, 7001, "s4"));
    expect(tcpAsk(sb.s3.key, plain(eps["i4"]!.ip), 7001).ok).toBe(false);
    // On the internal network itself, its members still talk.
    expect(tcpAsk(sb.s1.key, plain(eps["i4"]!.ip), 7001)).toEqual({ ok: true, text: "s4" });
  });

  it("answers a published port from the host, on 127.0.0.1 too, and from a sandbox on another network", () => {
    expect(tcpAsk(null, "127.0.0.1", 18080)).toEqual({ ok: true, text: "s1" });
    expect(tcpAsk(null, nets.B.gw, 18080)).toEqual({ ok: true, text: "s1" });
    expect(tcpAsk(sb.s3.key, nets.B.gw, 18080)).toEqual({ ok: true, text: "s1" });
  });

  it("repeats every call without harm: create finds what exists, delete finds nothing", async () => {
    const a1 = eps["a1"]!;
    await bridge.createNetwork(networkRequest(nets.A), call);
    await bridge.join(joinRequest(a1, "02:42:0a:d5:01:02"), call);
    expect(links(sb.s1.key).filter((l) => l.ifalias?.endsWith(a1.id))).toHaveLength(1);
    expect(links(sb.s1.key).find((l) => l.ifalias?.endsWith(a1.id))?.ifname).toBe("eth0");
    const i1 = eps["i1"]!;
    await bridge.leave({ ...joinRequest(i1, null), joinInfo: null }, call);
    await bridge.leave({ ...joinRequest(i1, null), joinInfo: null }, call);
    await bridge.deleteEndpoint({ networkId: i1.net.id, endpointId: i1.id }, call);
    expect(links(sb.s1.key).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
  });

  it("picks a free host port for a binding that asks for any, and says which in the Join answer", async () => {
    const e: Ep = { id: randomId(), net: nets.A, sandbox: sb.s4, ip: "10.213.1.9/24" };
    const req = joinRequest(e, null);
    req.options = { ports: [{ proto: "tcp", port: 80, hostIp: "", hostPort: 0 }, { proto: "tcp", port: 81, hostIp: "", hostPort: 18181 }] };
    try {
      const r = await bridge.join(req, call);
      const picked = r["portMappings"] as { port: number; hostPort: number }[];
      expect(picked.map((p) => p.port)).toEqual([80, 81]);
      expect(picked[0]!.hostPort).toBeGreaterThan(0);
      expect(picked[1]!.hostPort).toBe(18181);
      expect(r).toMatchObject({ dstName: "eth1", gateway: nets.A.gw });
    } finally {
      await bridge.leave({ ...req, joinInfo: null }, call);
    }
  });

  it("refuses, and leaves alone, a veth of another database that happens to have this endpoint's name", async () => {
    const e = { ...eps["b3"]!, id: randomId() };
    const name = `nlv${e.id.slice(0, 12)}`;
    const foreign = testDatabaseId();
    sh("ip", ["link", "add", name, "type", "bridge"]);
    sh("ip", ["link", "set", name, "alias", `netledger/${foreign}/endpoint/${e.id}`]);
    try {
      await expect(bridge.join(joinRequest(e, null), call)).rejects.toMatchObject({ code: "Forbidden" });
      await expect(bridge.leave({ ...joinRequest(e, null), joinInfo: null }, call)).rejects.toMatchObject({ code: "Forbidden" });
      expect(links().find((l) => l.ifname === name)?.ifalias).toBe(`netledger/${foreign}/endpoint/${e.id}`);
    } finally {
      sh("ip", ["link", "del", name]);
    }
  });

  it("refuses a bridge name that another database or something else holds", async () => {
    // Another database id: the last hex digit changed (it may have been 0 already).
    const other = { ...call, databaseId: databaseId.replace(/.$/, (c) => (c === "0" ? "1" : "0")) };
    await expect(bridge.createNetwork(networkRequest(nets.A), other)).rejects.toMatchObject({ code: "Forbidden" });
    await expect(
      bridge.createNetwork({ ...networkRequest(nets.B), networkId: randomId(), options: { "com.docker.network.bridge.name": nets.B.bridge } }, call),
    ).rejects.toMatchObject({ code: "Conflict" });
  });

  it("leaves nothing behind once every endpoint has left and been deleted, and every sandbox and network removed", async () => {
    for (const s of servers.splice(0)) s.kill("SIGKILL");
    for (const e of Object.values(eps)) {
      await bridge.leave({ ...joinRequest(e, null), joinInfo: null }, call);
      await bridge.deleteEndpoint({ networkId: e.net.id, endpointId: e.id }, call);
    }
    for (const s of Object.values(sb)) await sandboxes.deleteSandbox({ sandboxId: s.id, key: s.key }, call);
    for (const n of Object.values(nets)) await bridge.deleteNetwork({ networkId: n.id }, call);
    await bridge.deleteNetwork({ networkId: nets.A.id }, call);
    await applyRuleset(rulesetText({ table: tableOf(databaseId), networks: [], ports: [] }));
    expect(linksOf(databaseId)).toEqual([]);
    expect(readdirSync(join(runDir, "netns"))).toEqual([]);
    expect(nftTables()).not.toContain(tableOf(databaseId));
  });
});
