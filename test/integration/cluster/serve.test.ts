import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpApi } from "../../../src/daemon/client.js";
import { runCli } from "../../helpers/cli.js";
import { startDaemon, stopDaemon, type TestDaemon } from "../../helpers/daemon.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../../helpers/etcdCluster.js";
import { type FakePlugin, fakePlugin } from "../../helpers/pluginServer/inProcess.js";
import type { Override } from "../../helpers/pluginServer/server.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";
import { until } from "../../helpers/wait.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

interface ServeNode {
  name: string;
  db: string;
  env: NodeJS.ProcessEnv;
  args: string[];
  plugin: FakePlugin;
  daemon: TestDaemon;
  api: HttpApi;
}

/** Three `netledger serve` processes, each with its own database, run directory and plugin, on one etcd cluster. */
describe.skipIf(!haveEtcd)(`three netledger serve nodes on one cluster${why}`, () => {
  let cluster: EtcdCluster;
  const nodes: ServeNode[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    while (nodes.length) {
      const n = nodes.pop()!;
      await n.api.close().catch(() => undefined);
      await stopDaemon(n.daemon).catch(() => undefined);
    }
  });

  async function serve(n: Omit<ServeNode, "daemon" | "api">): Promise<ServeNode> {
    const daemon = await startDaemon(n.db, { env: n.env, args: n.args });
    return { ...n, daemon, api: new HttpApi({ host: daemon.host, actor: "test" }) };
  }

  async function three(overrides: (Override | undefined)[] = []): Promise<ServeNode[]> {
    // Keys of this test's cluster log under a prefix of its own is not an option of serve: one log per cluster.
    const clusterEnv = { NETLEDGER_CLUSTER: cluster.endpoints.join(",") };
    for (const [i, name] of [`s1-${randomBytes(3).toString("hex")}`, `s2-${randomBytes(3).toString("hex")}`, `s3-${randomBytes(3).toString("hex")}`].entries()) {
      const pluginDir = tempDir("nlx-plugins-");
      const plugin = await fakePlugin(pluginDir, "gserve", overrides[i], { scope: "global" });
      const env = { ...clusterEnv, NETLEDGER_NODE: name, NETLEDGER_PLUGIN_DIRS: pluginDir, NETLEDGER_RUN_DIR: tempDir("nlx-run-") };
      const args = ["--advertise-addr", `127.0.0.${i + 1}`, "--node-ttl", "1s", "--reclaim-after", "1s"];
      nodes.push(await serve({ name, db: tempDb("nlx-db-"), env, args, plugin }));
    }
    return [...nodes];
  }

  it("lists a network made on one node on the others, gives 3 x 50 endpoints distinct addresses, and reclaims a node killed with SIGKILL", async () => {
    const [a, b, c] = await three();
    const net = await a!.api.createNetwork({ name: `g-${randomBytes(3).toString("hex")}`, driver: "gserve" });
    expect(net.scope).toBe("global");
    for (const n of [b!, c!]) await until(async () => (await n.api.networks()).some((x) => x.id === net.id), 20);

    const made = await Promise.all(
      [a!, b!, c!].flatMap((n, i) => Array.from({ length: 50 }, (_, k) => n.api.createEndpoint(net.id, { name: `e${i}-${k}` }))),
    );
    expect(new Set(made.map((e) => e.ipv4)).size).toBe(150);

    const status = async (n: ServeNode) => JSON.parse((await runCli(["cluster", "status", "--json"], { env: n.env })).stdout) as { head: { seq: number }; stateHash: string; members: { healthy: boolean }[] };
    const [sa, sc] = [await status(a!), await status(c!)];
    expect(sa.members.every((m) => m.healthy)).toBe(true);
    expect(sc.stateHash).toBe(sa.stateHash);

    // The daemon carries the same: each endpoint names its node; GET /cluster and GET /nodes as a node sees them.
    expect(made.map((e) => e.node)).toEqual([a!, b!, c!].flatMap((n) => Array.from({ length: 50 }, () => n.name)));
    expect((await b!.api.endpoints(net.id)).every((e) => e.node === b!.name)).toBe(true);
    await until(async () => (await c!.api.clusterStatus()).stateHash === sa.stateHash, 100);
    expect((await c!.api.clusterStatus()).node).toBe(c!.name);
    const listed = await a!.api.nodes();
    expect(listed.filter((x) => [a!, b!, c!].some((n) => n.name === x.name)).map((x) => [x.state, x.endpoints])).toEqual([
      ["alive", 50],
      ["alive", 50],
      ["alive", 50],
    ]);

    // c dies without a word: its lease expires, a survivor records it lost and its 50 addresses are free.
    const cEndpoints = made.slice(100);
    c!.daemon.child.kill("SIGKILL");
    await new Promise((r) => c!.daemon.child.once("exit", r));
    await until(async () => {
      const list = JSON.parse((await runCli(["node", "ls", "--json"], { env: a!.env })).stdout) as { name: string; state: string }[];
      return list.find((x) => x.name === c!.name)?.state === "lost";
    }, 300);
    const again = await b!.api.createEndpoint(net.id, { name: "reuses", ip: cEndpoints[0]!.ipv4!.split("/")[0]! });
    expect(again.ipv4).toBe(cEndpoints[0]!.ipv4);

    // c restarted on its own database: it reconciles, and its plugin is told to delete what was reclaimed.
    nodes.splice(nodes.indexOf(c!), 1);
    await c!.api.close();
    const back = await serve({ name: c!.name, db: c!.db, env: c!.env, args: c!.args, plugin: c!.plugin });
    nodes.push(back);
    await until(async () => (await back.api.endpoints(net.id)).length === 0, 100);
    const deleted = back.plugin.calls().filter((x) => x.method === "NetworkDriver.DeleteEndpoint").map((x) => (JSON.parse(x.body) as { EndpointID: string }).EndpointID);
    expect(new Set(deleted)).toEqual(new Set(cEndpoints.map((e) => e.id)));
    expect((await back.api.verify()).ok).toBe(true);
    // Nothing here was out of step for long: no node told of a problem.
    for (const n of [a!, b!, back]) expect(n.daemon.stderr()).not.toMatch(/cluster node/);
  });

  it("says on stderr, once, that a node's plugin refuses a global network, makes it there once the plugin takes it, and says so", async () => {
    let refusing = true;
    const refuse: Override = (m) => (refusing && m === "NetworkDriver.CreateNetwork" ? { body: { Err: "not now" } } : undefined);
    const [a, b] = await three([undefined, refuse]);
    const name = `r-${randomBytes(3).toString("hex")}`;
    const net = await a!.api.createNetwork({ name, driver: "gserve" });
    // b also lacks the networks earlier tests made on this cluster: the line names every one it cannot make.
    const told = () => b!.daemon.stderr().split("\n").filter((l) => l.startsWith(`netledger serve: cluster node ${b!.name}: reconcile: `) && l.includes(`create network ${name}: `));
    await until(() => told().length > 0, 20, { ms: 30_000, what: `the problem on stderr (${b!.daemon.stderr()})` });
    expect(told()[0]).toMatch(/not now/);
    // Tried every second, told once.
    await new Promise((r) => setTimeout(r, 2500));
    expect(told()).toHaveLength(1);
    refusing = false;
    await until(async () => (await b!.api.networks()).some((x) => x.id === net.id), 20, { ms: 30_000, what: "the network on the second node" });
    const back = `netledger serve: cluster node ${b!.name}: reconcile: in step again`;
    await until(() => b!.daemon.stderr().includes(back), 20, { ms: 30_000, what: `the all-clear on stderr (${b!.daemon.stderr()})` });
  });
});
