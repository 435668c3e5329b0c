import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { haveEtcd } from "../../helpers/etcdCluster.js";
import { isRoot } from "../../helpers/kernel.js";
import { inSandbox, type OverlayHosts, type OverlayNode, startOverlayHosts, vxlanEntries } from "../../helpers/overlayNodes.js";
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

  it("lets sandboxes on two nodes ping and talk TCP, keeps two overlay networks apart, and holds the 1450 MTU", async () => {
    hosts = await startOverlayHosts(2);
    const [a, b] = hosts.nodes as [OverlayNode, OverlayNode];
    const red = await a.api!.createNetwork({ name: "red", driver: "overlay" });
    const blue = await a.api!.createNetwork({ name: "blue", driver: "overlay" });
    expect(red.scope).toBe("global");
    await until(async () => (await b.api!.networks()).filter((x) => x.driver === "overlay").length === 2, 200);

    const ra = await container(a, red.id, "ra");
    const rb = await container(b, red.id, "rb");
    const bb = await container(b, blue.id, "bb");
    // The peers reach each node after its fold of the cluster log.
    await until(() => ping(ra.key, rb.ip), 200);
    expect(ping(rb.key, ra.ip)).toBe(true);
    // 1422 bytes of ICMP data fill the 1450-byte MTU exactly; every link on the path carries it.
    expect(ping(ra.key, rb.ip, ["-s", "1422"])).toBe(true);
    expect(JSON.parse(inSandbox(ra.key, "ip", ["-j", "link", "show", "eth0"]))[0].mtu).toBe(1450);

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
    const vx = `nlx${red.id.slice(0, 12)}`;
    expect(vxlanEntries(a, vx).fdb).toHaveLength(1);
    expect(vxlanEntries(a, vx).neigh).toEqual([`${rb.ip}>${vxlanEntries(a, vx).fdb[0]!.split(">")[0]}`]);
  }, 240_000);
});

function inSandboxSpawn(key: string, js: string) {
  return spawn("nsenter", [`--net=${key}`, "--", process.execPath, "-e", js], { stdio: ["ignore", "pipe", "pipe"] });
}
