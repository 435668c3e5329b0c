import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { haveEtcd } from "../../helpers/etcdCluster.js";
import { isRoot } from "../../helpers/kernel.js";
import { counted, inSandbox, nftIn, nodeNetns, type OverlayHosts, type OverlayNode, startOverlayHosts, vxlanEntries } from "../../helpers/overlayNodes.js";
import { until } from "../../helpers/wait.js";

const why = !isRoot ? " (skipped: needs root for namespaces and links)" : !haveEtcd ? " (skipped: /usr/bin/etcd is not installed)" : "";

/** A sandbox on a node with an endpoint of the network joined: its namespace path and address. */
async function container(n: OverlayNode, network: string, name: string): Promise<{ key: string; ip: string; id: string }> {
  const api = n.api!;
  const sb = await api.createSandbox({ containerId: `${name}-c`, hostname: "", domainname: "", dns: [], extraHosts: [] });
  const ep = await api.createEndpoint(network, { name });
  await api.join(network, ep.id, sb.id);
  return { key: sb.key!, ip: ep.ipv4!.split("/")[0]!, id: ep.id };
}

const ping = (key: string, ip: string, extra: string[] = []): boolean => {
  try {
    inSandbox(key, "busybox", ["ping", "-c", "2", "-W", "3", ...extra, ip]);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(why !== "")(`overlay networks across nodes simulated as namespaces${why}`, () => {
  let hosts: OverlayHosts | undefined;
  afterEach(async () => {
    await hosts?.teardown();
    hosts = undefined;
  });

  it("lets sandboxes on three nodes ping and talk TCP, keeps two overlay networks apart, and holds the 1450 MTU", async () => {
    hosts = await startOverlayHosts(3);
    const [a, b, c] = hosts.nodes as [OverlayNode, OverlayNode, OverlayNode];
    const red = await a.api!.createNetwork({ name: "red", driver: "overlay" });
    const blue = await a.api!.createNetwork({ name: "blue", driver: "overlay" });
    expect(red.scope).toBe("global");
    for (const n of [b, c]) await until(async () => (await n.api!.networks()).filter((x) => x.driver === "overlay").length === 2, 200);

    const ra = await container(a, red.id, "ra");
    const rb = await container(b, red.id, "rb");
    const rc = await container(c, red.id, "rc");
    const bb = await container(b, blue.id, "bb");
    // The peers reach each node after its fold of the cluster log.
    await until(() => ping(ra.key, rb.ip), 200);
    await until(() => ping(ra.key, rc.ip), 200);
    expect(ping(rb.key, ra.ip)).toBe(true);
    expect(ping(rc.key, rb.ip)).toBe(true);
    expect(JSON.parse(inSandbox(ra.key, "ip", ["-j", "link", "show", "eth0"]))[0].mtu).toBe(1450);
    await holdsTheMtu(hosts, ra, rb, b);

    // TCP across the overlay: busybox nc would do; node is at hand.
    const server = inSandboxSpawn(rb.key, `require("net").createServer((s)=>{s.end("hello from rb")}).listen(7070,()=>console.log("up"))`);
    try {
      await new Promise<void>((r) => server.stdout!.once("data", () => r()));
      const said = inSandbox(ra.key, process.execPath, ["-e", `const s=require("net").connect(7070,"${rb.ip}");let t="";s.on("data",d=>t+=d);s.on("end",()=>{process.stdout.write(t)})`]);
      expect(said).toBe("hello from rb");
    } finally {
      server.kill("SIGKILL");
    }

    // red and blue: separate segments, no path between them.
    expect(ping(ra.key, bb.ip)).toBe(false);
    expect(ping(rc.key, bb.ip)).toBe(false);
    const vx = `nlx${red.id.slice(0, 12)}`;
    // One forwarding entry and one neighbour entry per remote endpoint, each neighbour's MAC the fdb's.
    const { fdb, neigh } = vxlanEntries(a, vx);
    expect(fdb).toHaveLength(2);
    expect(neigh.map((x) => x.split(">")[0]).sort()).toEqual([rb.ip, rc.ip].sort());
    expect(new Set(neigh.map((x) => x.split(">")[1]))).toEqual(new Set(fdb.map((f) => f.split(">")[0])));
  }, 240_000);

  it("removes a departed endpoint's entries on the other nodes, and a reclaimed node's; the node restarted removes what was reclaimed and joins again", async () => {
    hosts = await startOverlayHosts(3, ["--node-ttl", "1s", "--reclaim-after", "1s"]);
    const h = hosts;
    const [a, b, c] = h.nodes as [OverlayNode, OverlayNode, OverlayNode];
    const net = await a.api!.createNetwork({ name: "green", driver: "overlay" });
    await until(async () => (await Promise.all([b, c].map((n) => n.api!.networks()))).every((l) => l.some((x) => x.id === net.id)), 200);
    const vx = `nlx${net.id.slice(0, 12)}`;
    const ea = await container(a, net.id, "ea");
    const eb = await container(b, net.id, "eb");
    const ec = await container(c, net.id, "ec");
    await until(() => ping(ea.key, eb.ip) && ping(ea.key, ec.ip), 200);
    const has = (n: OverlayNode, ip: string) => vxlanEntries(n, vx).neigh.some((x) => x.startsWith(`${ip}>`));
    const toNode = (n: OverlayNode, addr: string) => vxlanEntries(n, vx).fdb.some((x) => x.endsWith(`>${addr}`));

    // A second endpoint on A comes and goes: B and C learn it from the cluster log, then forget it.
    const ea2 = await container(a, net.id, "ea2");
    await until(() => has(b, ea2.ip) && has(c, ea2.ip), 200);
    await a.api!.leave(net.id, ea2.id, "ea2-c");
    await a.api!.deleteEndpoint(net.id, ea2.id, false);
    await until(() => !has(b, ea2.ip) && !has(c, ea2.ip), 200);
    expect(vxlanEntries(b, vx).neigh).toHaveLength(2);

    // C's daemon dies without a word: reclaimed, its endpoint's entries leave A and B.
    await h.kill(c);
    await until(() => !toNode(a, c.address) && !toNode(b, c.address), 300);
    expect(vxlanEntries(a, vx).neigh).toEqual([`${eb.ip}>${vxlanEntries(a, vx).fdb[0]!.split(">")[0]}`]);

    // With C's daemon down, the one-shot gc judges C's VXLAN device by C's copy of the cluster log.
    peerGc(h, c, vx, eb.ip, b.address);

    // Restarted: C deletes its reclaimed endpoint (veth and, the last one gone, the VXLAN device).
    await h.start(c);
    const cLinks = () => JSON.parse(execFileSync("ip", ["-n", c.ns, "-j", "link", "show"], { encoding: "utf8" })) as { ifname: string }[];
    await until(() => !cLinks().some((l) => l.ifname === `nlv${ec.id.slice(0, 12)}` || l.ifname === vx), 300);
    await until(async () => (await c.api!.endpoints(net.id)).every((e) => e.id !== ec.id), 200);
    const gc = JSON.parse(h.cli(c, ["gc", "--dry-run", "--json"])) as { found: unknown[] };
    expect(gc.found).toEqual([]);

    // A new endpoint on C reaches the others.
    const ec2 = await container(c, net.id, "ec2");
    await until(() => ping(ec2.key, ea.ip), 200);
    expect(ping(ec2.key, eb.ip)).toBe(true);
    await until(() => has(a, ec2.ip) && has(b, ec2.ip), 200);
  }, 300_000);

  it("after a reboot (a new boot id) makes the node's bridge, VXLAN device, veth and peer entries again, and the endpoints reach each other", async () => {
    hosts = await startOverlayHosts(2);
    const h = hosts;
    const [a, b] = h.nodes as [OverlayNode, OverlayNode];
    const net = await a.api!.createNetwork({ name: "teal", driver: "overlay" });
    await until(async () => (await b.api!.networks()).some((x) => x.id === net.id), 200);
    const ea = await container(a, net.id, "ea");
    // B's sandbox is in a namespace the test made (a runtime's, which the runtime makes again after a
    // reboot): netledger's own namespaces are gone after a reboot, and their sandboxes with them.
    const runtimeNs = `nlo-${h.tag}-rt`;
    const key = `/run/netns/${runtimeNs}`;
    execFileSync("ip", ["netns", "add", runtimeNs]);
    try {
      const sb = await b.api!.createSandbox({ containerId: "eb-c", hostname: "", domainname: "", dns: [], extraHosts: [], netns: key });
      const eb = await b.api!.createEndpoint(net.id, { name: "eb" });
      await b.api!.join(net.id, eb.id, sb.id);
      await until(() => ping(key, ea.ip), 200);
      const vx = `nlx${net.id.slice(0, 12)}`;
      const made = [`nlv${eb.id.slice(0, 12)}`, vx, `nlo${net.id.slice(0, 12)}`];
      const bLinks = () => (JSON.parse(execFileSync("ip", ["-n", b.ns, "-j", "link", "show"], { encoding: "utf8" })) as { ifname: string }[]).map((l) => l.ifname);
      const entries = vxlanEntries(b, vx);
      expect(entries.neigh).toEqual([`${ea.ip}>${entries.fdb[0]!.split(">")[0]}`]);

      // What a reboot takes from B: its daemon, and its links (the veth pair, the VXLAN device and its entries, the bridge).
      await h.kill(b);
      for (const l of made) execFileSync("ip", ["-n", b.ns, "link", "del", l]);
      expect(JSON.parse(inSandbox(key, "ip", ["-j", "link", "show"])).map((l: { ifname: string }) => l.ifname)).toEqual(["lo"]);

      await h.start(b, { NETLEDGER_BOOT_ID: `nlo-reboot-${h.tag}` });
      await until(() => made.every((l) => bLinks().includes(l)) && vxlanEntries(b, vx).neigh.length === 1, 300);
      expect(vxlanEntries(b, vx)).toEqual(entries);
      await until(() => ping(key, ea.ip), 200);
      expect(ping(ea.key, eb.ipv4!.split("/")[0]!)).toBe(true);
      const types: string[] = [];
      for await (const e of b.api!.events({ since: 1 })) types.push(e.type);
      expect(types).toContain("host.booted");
      expect(types).toContain("endpoint.reprogrammed");
      expect((JSON.parse(h.cli(b, ["gc", "--dry-run", "--json"])) as { found: unknown[] }).found).toEqual([]);
      expect((await b.api!.verify()).ok).toBe(true);
    } finally {
      await h.kill(b);
      execFileSync("ip", ["netns", "delete", runtimeNs]);
    }
  }, 240_000);

  it("after a SIGKILL half way through a join, recovery leaves the kernel as the log says, gc finds nothing, and teardown leaves nothing", async () => {
    hosts = await startOverlayHosts(2);
    const h = hosts;
    const [a, b] = h.nodes as [OverlayNode, OverlayNode];
    const net = await a.api!.createNetwork({ name: "amber", driver: "overlay" });
    await until(async () => (await b.api!.networks()).some((x) => x.id === net.id), 200);
    const ea = await container(a, net.id, "ea");

    const haltFile = join(h.dir, "halted");
    await h.kill(b);
    await h.start(b, { NETLEDGER_TEST_HALT: `overlay.join:${haltFile}` });
    const sb = await b.api!.createSandbox({ containerId: "eb-c", hostname: "", domainname: "", dns: [], extraHosts: [] });
    const eb = await b.api!.createEndpoint(net.id, { name: "eb" });
    void b.api!.join(net.id, eb.id, sb.id).catch(() => undefined);
    await until(() => existsSync(haltFile), 100);
    await h.kill(b);

    await h.start(b);
    await b.api!.recover();
    const after = await b.api!.endpoint(net.id, eb.id);
    const bLinks = JSON.parse(execFileSync("ip", ["-n", b.ns, "-j", "link", "show"], { encoding: "utf8" })) as { ifname: string }[];
    const veth = bLinks.some((l) => l.ifname === `nlv${eb.id.slice(0, 12)}`);
    const inside = JSON.parse(inSandbox(sb.key!, "ip", ["-j", "addr", "show"])) as { ifname: string; addr_info: { local: string }[] }[];
    const placed = inside.some((l) => l.addr_info.some((x) => x.local === eb.ipv4!.split("/")[0]));
    if (after.sandbox) {
      expect([veth, placed]).toEqual([true, true]);
      await until(() => ping(sb.key!, ea.ip), 200);
    } else {
      expect([veth, placed]).toEqual([false, false]);
    }
    expect((JSON.parse(h.cli(b, ["gc", "--dry-run", "--json"])) as { found: unknown[] }).found).toEqual([]);
    expect((await b.api!.verify()).ok).toBe(true);

    const dbIds = h.nodes.map((n) => n.db);
    await h.teardown();
    hosts = undefined;
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(`nlo-${h.tag}`);
    expect(existsSync(h.dir)).toBe(false);
    expect(execFileSync("mount", [], { encoding: "utf8" })).not.toContain(h.dir);
    expect(dbIds.every((d) => !existsSync(d))).toBe(true);
  }, 300_000);
});

/**
 * A stale peer (a forwarding and a neighbour entry no endpoint accounts for) and a missing one (a
 * peer's neighbour entry deleted) on a node whose daemon is down: `gc --dry-run` names the three and
 * changes nothing, `gc` puts the device back as the node's copy of the cluster log says, then
 * `gc --dry-run` finds nothing.
 */
function peerGc(h: OverlayHosts, n: OverlayNode, vx: string, peerIp: string, peerNode: string): void {
  const before = vxlanEntries(n, vx);
  const peerMac = before.neigh.find((x) => x.startsWith(`${peerIp}>`))!.split(">")[1]!;
  const stale = { mac: "02:42:0a:fe:fe:01", ip: "10.254.254.1", dst: `${n.address.split(".").slice(0, 3).join(".")}.250` };
  execFileSync("ip", ["netns", "exec", n.ns, "bridge", "fdb", "append", stale.mac, "dev", vx, "dst", stale.dst, "self", "permanent"]);
  execFileSync("ip", ["-n", n.ns, "neigh", "replace", stale.ip, "lladdr", stale.mac, "dev", vx, "nud", "permanent"]);
  execFileSync("ip", ["-n", n.ns, "neigh", "del", peerIp, "dev", vx]);
  const tampered = vxlanEntries(n, vx);
  type Report = { found: { kind: string; name: string; where?: string }[]; errors: string[] };
  const dry = JSON.parse(h.cli(n, ["gc", "--dry-run", "--json"])) as Report;
  expect(dry.found.map((g) => `${g.kind} ${g.name} @${g.where}`).sort()).toEqual(
    [`fdb ${stale.mac}`, `missing ${peerIp} ${peerMac} via ${peerNode}`, `neigh ${stale.ip}`].map((x) => `overlay-peer ${x} @${vx}`),
  );
  expect(vxlanEntries(n, vx)).toEqual(tampered);
  const done = JSON.parse(h.cli(n, ["gc", "--json"])) as Report;
  expect([done.found.length, done.errors]).toEqual([3, []]);
  expect(vxlanEntries(n, vx)).toEqual(before);
  expect((JSON.parse(h.cli(n, ["gc", "--dry-run", "--json"])) as Report).found).toEqual([]);
}

/**
 * The 1450 MTU holds: busybox ping has no `-M do`, but Linux sets don't-fragment on an ICMP socket's
 * packet that fits the route's MTU (ip_no_pmtu_disc 0, IP_PMTUDISC_WANT), so counters in the receiving
 * sandbox prove what arrived: 1422 bytes of data make 1450-byte echo requests with DF set, whole; on
 * the receiving node's underlay each is one 1500-byte VXLAN datagram, not fragmented. 1423 bytes do
 * not fit: the sender fragments them (a DF packet that size cannot leave it), so no 1451-byte request
 * arrives whole. Counters are hooked before defragmentation (priority -450).
 */
async function holdsTheMtu(h: OverlayHosts, from: { key: string }, to: { key: string; ip: string }, toNode: OverlayNode): Promise<void> {
  const table = `nlo${h.tag}mtu`;
  const under = nodeNetns(toNode);
  nftIn(to.key, `table ip ${table} {
    counter whole {}
    counter fragmented {}
    counter oversize {}
    chain pre { type filter hook prerouting priority -450; policy accept;
      ip length 1450 ip frag-off & 0x4000 != 0 icmp type echo-request counter name "whole"
      ip length > 1450 counter name "oversize"
      ip frag-off & 0x3fff != 0 counter name "fragmented"
    }
  }`);
  nftIn(under, `table ip ${table} {
    counter vxlan1500 {}
    counter vxlanfragmented {}
    chain pre { type filter hook prerouting priority -450; policy accept;
      iifname "under0" ip length 1500 udp dport 4789 counter name "vxlan1500"
      iifname "under0" ip frag-off & 0x3fff != 0 counter name "vxlanfragmented"
    }
  }`);
  try {
    expect(ping(from.key, to.ip, ["-s", "1422"])).toBe(true);
    expect(counted(to.key, table, "whole")).toBe(2);
    expect(counted(to.key, table, "fragmented")).toBe(0);
    expect(counted(under, table, "vxlan1500")).toBeGreaterThanOrEqual(2);
    expect(counted(under, table, "vxlanfragmented")).toBe(0);

    // One byte more: it reaches the other side only as fragments, never as one packet over 1450.
    inSandbox(from.key, "busybox", ["ping", "-c", "1", "-W", "3", "-s", "1423", to.ip]);
    expect(counted(to.key, table, "fragmented")).toBeGreaterThanOrEqual(2);
    expect(counted(to.key, table, "oversize")).toBe(0);
    expect(counted(to.key, table, "whole")).toBe(2);
    expect(counted(under, table, "vxlanfragmented")).toBe(0);
  } finally {
    for (const path of [to.key, under]) try { nftIn(path, `delete table ip ${table}`); } catch { /* the namespace is gone */ }
  }
}

function inSandboxSpawn(key: string, js: string) {
  return spawn("nsenter", [`--net=${key}`, "--", process.execPath, "-e", js], { stdio: ["ignore", "pipe", "pipe"] });
}
