import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ask, type DnsAnswer, nameserverOf } from "../../helpers/dnsAsk.js";
import { haveEtcd } from "../../helpers/etcdCluster.js";
import { isRoot } from "../../helpers/kernel.js";
import { inSandbox, type OverlayHosts, type OverlayNode, startOverlayHosts } from "../../helpers/overlayNodes.js";
import { until } from "../../helpers/wait.js";

const why = !isRoot ? " (skipped: needs root for namespaces and links)" : !haveEtcd ? " (skipped: /usr/bin/etcd is not installed)" : "";

/**
 * Names across nodes: two nodes simulated as namespaces (prefix `nlq`, the overlay tests' helper), each
 * running `netledger serve` whose embedded DNS server answers its own sandboxes on the overlay network's
 * gateway. A resolver in node B's namespace on 127.0.0.1 (the sandboxes' --dns) stands in for the
 * upstream and answers NXDOMAIN to everything, so a name no longer known reads as NXDOMAIN.
 */
const dnsPacket = createRequire(import.meta.url).resolve("dns-packet");
const nxdomainJs = `const p=require(process.env.P);const d=require("node:dgram").createSocket("udp4");
d.on("message",(m,r)=>{let q;try{q=p.decode(m)}catch{return}d.send(p.encode({type:"response",id:q.id,flags:p.RECURSION_AVAILABLE|3,questions:q.questions}),r.port,r.address)});
d.bind(53,"127.0.0.1",()=>console.log("up"));`;

interface Box {
  node: OverlayNode;
  id: string;
  key: string;
  containerId: string;
  ip: string;
}

async function box(node: OverlayNode, network: string, containerId: string, hostname: string, aliases: string[] = []): Promise<Box> {
  const sb = await node.api!.createSandbox({ containerId, hostname, domainname: "", dns: ["127.0.0.1"], extraHosts: [] });
  const ep = await node.api!.connect(network, { sandbox: sb.id, aliases });
  return { node, id: sb.id, key: sb.key!, containerId, ip: ep.ipv4!.split("/")[0]! };
}

/** What `from`'s resolver (the nameserver its resolv.conf names) answers for `name`. */
function asked(from: Box, name: string, type = "A"): Promise<DnsAnswer> {
  return ask(from.key, nameserverOf(join(from.node.runDir, "sandboxes", from.id, "resolv.conf")), name, type);
}
const addresses = (r: DnsAnswer) => (r.answers ?? []).map((a) => a.data);
const ping = (key: string, ip: string): boolean => {
  try {
    inSandbox(key, "busybox", ["ping", "-c", "1", "-W", "2", ip]);
    return true;
  } catch {
    return false;
  }
};

/** Whether UDP datagrams sent from sandbox `from` to `to` arrive there at all (a reply needs no route back). */
async function datagramsArrive(from: Box, to: Box): Promise<boolean> {
  const listener = spawn("nsenter", [`--net=${to.key}`, "--", process.execPath, "-e",
    `const d=require("node:dgram").createSocket("udp4");d.on("message",()=>{console.log("got");process.exit(0)});d.bind(7171,()=>console.log("up"));setTimeout(()=>process.exit(0),3000)`,
  ], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  listener.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const gone = new Promise((r) => listener.once("exit", r));
  await until(() => out.includes("up") || listener.exitCode !== null, 20);
  inSandbox(from.key, process.execPath, ["-e", `const d=require("node:dgram").createSocket("udp4");let n=0;const t=setInterval(()=>{d.send("x",7171,"${to.ip}");if(++n===5){clearInterval(t);setTimeout(()=>d.close(),100)}},100)`]);
  await gone;
  return out.includes("got");
}

describe.skipIf(why !== "")(`names of endpoints on other nodes of an overlay network${why}`, () => {
  let hosts: OverlayHosts | undefined;
  let upstream: ChildProcess | undefined;
  afterEach(async () => {
    upstream?.kill("SIGKILL");
    upstream = undefined;
    await hosts?.teardown();
    hosts = undefined;
  });

  it("resolves a sandbox on node A from node B by name, alias, hostname and container id, gives its name back, hides it from another overlay network, and gives NXDOMAIN once it left", async () => {
    hosts = await startOverlayHosts(2, [], "nlq");
    const [a, b] = hosts.nodes as [OverlayNode, OverlayNode];
    upstream = spawn("nsenter", [`--net=/run/netns/${b.ns}`, "--", process.execPath, "-e", nxdomainJs], { env: { ...process.env, P: dnsPacket }, stdio: ["ignore", "pipe", "ignore"] });
    await new Promise<void>((r, j) => {
      upstream!.stdout!.once("data", () => r());
      upstream!.once("exit", (code) => j(new Error(`the stand-in upstream exited (${code})`)));
    });

    const red = await a.api!.createNetwork({ name: "nlq-red", driver: "overlay" });
    const blue = await a.api!.createNetwork({ name: "nlq-blue", driver: "overlay" });
    await until(async () => (await b.api!.networks()).filter((x) => x.id === red.id || x.id === blue.id).length === 2, 200);

    const there = await box(a, red.id, "nlq-alpha-c", "alpha", ["db"]);
    const here = await box(b, red.id, "nlq-beta-c", "beta");
    const apart = await box(b, blue.id, "nlq-gamma-c", "gamma");

    // B's server answers for A's sandbox once B has folded the join from the cluster log.
    await until(async () => addresses(await asked(here, "alpha")).length > 0, 100);
    for (const name of ["alpha", "db", "nlq-alpha-c", "DB."]) expect(addresses(await asked(here, name)), name).toEqual([there.ip]);
    const reverse = `${there.ip.split(".").reverse().join(".")}.in-addr.arpa`;
    expect(addresses(await asked(here, reverse, "PTR"))).toEqual(["nlq-alpha-c"]);
    // B's own sandbox on red, and A's answering for B's: both ways.
    expect(addresses(await asked(here, "beta"))).toEqual([here.ip]);
    await until(async () => addresses(await asked(there, "beta")).length > 0, 100);
    expect(addresses(await asked(there, "beta"))).toEqual([here.ip]);

    // A sandbox of B on blue does not see red's names: forwarded, and the upstream knows nothing.
    expect(await asked(apart, "alpha")).toMatchObject({ rcode: 3, answers: [] });
    expect(await asked(apart, reverse, "PTR")).toMatchObject({ rcode: 3, answers: [] });

    // The gateway on B's overlay bridge gives B a route into red, yet a container of a bridge network on
    // B is not routed there (the overlay firewall), while it reaches its own gateway.
    const local = await b.api!.createNetwork({ name: "nlq-local", driver: "bridge" });
    const loc = await box(b, local.id, "nlq-local-c", "loc");
    const localGateway = (await b.api!.networks()).find((n) => n.id === local.id)!.ipam.config[0]!.gateway!;
    expect(ping(loc.key, localGateway.split("/")[0]!)).toBe(true);
    expect(await datagramsArrive(loc, here)).toBe(false);

    // A's sandbox leaves (its endpoint goes, in the cluster too): B forgets the name.
    await a.api!.disconnect(red.id, { sandbox: there.id });
    await until(async () => (await asked(here, "alpha")).rcode === 3, 100);
    expect(await asked(here, "db")).toMatchObject({ rcode: 3, answers: [] });
    expect(addresses(await asked(here, "beta"))).toEqual([here.ip]);

    // A's last overlay bridge went with it, and its overlay firewall table too; gc finds nothing on either node.
    const tables = (n: OverlayNode) => execFileSync("ip", ["netns", "exec", n.ns, "nft", "list", "tables"], { encoding: "utf8" });
    expect(tables(a)).not.toContain("netledger_ovl_");
    expect(tables(b)).toContain("netledger_ovl_");
    for (const n of [a, b]) expect((JSON.parse(hosts.cli(n, ["gc", "--dry-run", "--json"])) as { found: unknown[] }).found, n.name).toEqual([]);
  }, 180_000);
});
