import { randomBytes } from "node:crypto";
import { Etcd3 } from "etcd3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClusterNode } from "../../../src/cluster/node.js";
import { Controller } from "../../../src/controller/controller.js";
import { nullDriver } from "../../../src/drivers/null/index.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../../helpers/etcdCluster.js";
import { type FakePlugin, fakePlugin } from "../../helpers/pluginServer/inProcess.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";
import { failure, until } from "../../helpers/wait.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

/**
 * What etcd refuses, as opposed to failing to answer: a write past its space quota, a request larger
 * than it takes. Three members with a small quota (4 MB) and a small request limit (24 KiB): a real
 * NOSPACE alarm, raised by filling etcd under a prefix of the test's own, and a real refusal of a
 * snapshot too large for one request. The node's --cluster-timeout is longer than the test's own
 * timeout, so a refusal tried again until the timeout fails the test.
 */
describe.skipIf(!haveEtcd)(`etcd's refusals${why}`, () => {
  let cluster: EtcdCluster;
  let raw: Etcd3;
  const open: { node: ClusterNode; controller: Controller }[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster(3, "nlq", ["--quota-backend-bytes", String(4_000_000), "--max-request-bytes", String(24 * 1024)]);
    raw = new Etcd3({ hosts: cluster.endpoints });
  });
  afterAll(async () => {
    raw?.close();
    await cluster?.stop();
  });
  afterEach(async () => {
    while (open.length) {
      const n = open.pop()!;
      await n.node.close({ revoke: true }).catch(() => undefined);
      await n.controller.close().catch(() => undefined);
    }
  });

  async function startNode(o: { snapshotEvery?: number; report?: (line: string) => void; node?: string; prefix?: string } = {}): Promise<{ node: ClusterNode; controller: Controller; plugin: FakePlugin }> {
    const pluginDir = tempDir("nlq-plugins-");
    const plugin = await fakePlugin(pluginDir, "gplug", undefined, { scope: "global" });
    const controller = await Controller.open({ db: tempDb("nlq-db-"), pluginDirs: [pluginDir], runDir: tempDir("nlq-run-") });
    const node = await ClusterNode.start(controller, {
      endpoints: cluster.endpoints,
      node: "q1",
      advertiseAddr: "127.0.0.1",
      timeoutMs: 120_000,
      prefix: `/nlq-${randomBytes(6).toString("hex")}/`,
      ttlMs: 15_000,
      reclaimAfterMs: 60_000,
      ...o,
    });
    open.push({ node, controller });
    return { node, controller, plugin };
  }

  it("tells a node's operator that a snapshot etcd refused was not written", async () => {
    const lines: string[] = [];
    const { controller } = await startNode({ snapshotEvery: 60, report: (l) => lines.push(l) });
    const net = (await controller.run({ type: "network.create", driver: "gplug", name: "snap" })).entity!.id;
    // Sixty endpoints make a state of about 35 KB: its snapshot does not fit in one request of 24 KiB.
    for (let i = 0; i < 60; i++) await controller.run({ type: "endpoint.create", network: net, name: `e${i}` });
    await until(() => lines.length > 0, 20, { ms: 60_000, what: "a report of the snapshot" });
    expect(lines[0]).toMatch(/^cluster node q1: cluster snapshot: the snapshot at seq \d+ was not written, .*request is larger than etcd takes/);
    // The log goes on: appends are small.
    await controller.run({ type: "endpoint.create", network: net, name: "after" });
  }, 90_000);

  it("fails a global command at once when etcd is past its space quota, goes on reading and with local commands, and appends again once an operator frees space", async () => {
    const prefix = `/nlq-${randomBytes(6).toString("hex")}/`;
    const { node, controller, plugin } = await startNode({ prefix });
    // A second node, which forwards its commands to the first (the elected appender).
    const other = await startNode({ prefix, node: "q2" });
    const net = (await controller.run({ type: "network.create", driver: "gplug", name: "full" })).entity!.id;
    await until(() => other.controller.network(net) !== undefined, 20, { ms: 30_000, what: "the network on q2" });
    await controller.run({ type: "endpoint.create", network: net, name: "before" });
    const head = node.log.headSeen.seq;

    // Another user of the cluster fills it until etcd raises its NOSPACE alarm.
    const fill = `/nlq-fill-${randomBytes(4).toString("hex")}/`;
    const value = "f".repeat(16 * 1024);
    let full: unknown;
    for (let i = 0; i < 2000 && !full; i++) await raw.put(`${fill}${i}`).value(value).catch((e: unknown) => (full = e));
    expect(String(full)).toMatch(/database space exceeded/);

    // More than three refusals: the client once counted each as a member's failure and opened its breaker.
    for (let i = 0; i < 4; i++) {
      const e = await failure(controller.run({ type: "endpoint.create", network: net, name: `refused${i}` }));
      expect(e.code).toBe("Exhausted");
      expect(e.message).toMatch(/refused a write .*space quota .*etcdctl alarm disarm/);
    }
    // A command forwarded to the appender is refused at once too.
    const forwarded = await failure(other.controller.run({ type: "endpoint.create", network: net, name: "refused-q2" }));
    expect(forwarded.code).toBe("Exhausted");
    expect(other.controller.view().endpoints.filter((ep) => ep.name.startsWith("refused"))).toEqual([]);
    // Nothing half-made: neither half of a refused endpoint stays.
    expect(controller.view().endpoints.filter((ep) => ep.name.startsWith("refused"))).toEqual([]);
    expect(node.log.current.endpoints.size).toBe(1);
    expect(node.log.headSeen.seq).toBe(head);
    // The appender's node began each local half as its transaction left: its plugin was told to undo each.
    const calls = (m: string) => plugin.methods().filter((x) => x === m).length;
    await until(() => calls("NetworkDriver.CreateEndpoint") - calls("NetworkDriver.DeleteEndpoint") === 1, 20, { ms: 30_000, what: "a DeleteEndpoint for each refused endpoint" });
    // Reads go on: the node catches up with the cluster log, and a local-scope command is made.
    await node.log.catchUp();
    controller.registerDriver("lnull", nullDriver, { dataScope: "local", sideEffects: false, usesIpam: true });
    const local = (await controller.run({ type: "network.create", driver: "lnull", name: "here" })).entity!.id;
    await controller.run({ type: "endpoint.create", network: local, name: "local" });

    // The operator frees space: deletes the fill, compacts and defragments every member, disarms the alarm.
    await raw.delete().prefix(fill);
    const rev = (await raw.get("nlq-anything").exec()).header.revision;
    await raw.kv.compact({ revision: rev, physical: true });
    for (const url of cluster.endpoints) {
      const one = new Etcd3({ hosts: url });
      try {
        await one.maintenance.defragment({});
      } finally {
        one.close();
      }
    }
    const alarms = await raw.maintenance.alarm({ action: "Get", memberID: "0", alarm: "None" });
    for (const a of alarms.alarms) await raw.maintenance.alarm({ action: "Deactivate", memberID: a.memberID, alarm: a.alarm });

    // The same nodes append again, without a restart.
    const r = await controller.run({ type: "endpoint.create", network: net, name: "after" });
    expect(controller.endpoint(r.entity!.id)).toBeDefined();
    const r2 = await other.controller.run({ type: "endpoint.create", network: net, name: "after-q2" });
    expect(other.controller.endpoint(r2.entity!.id)).toBeDefined();
    expect(node.log.headSeen.seq).toBeGreaterThan(head);
  }, 90_000);
});
