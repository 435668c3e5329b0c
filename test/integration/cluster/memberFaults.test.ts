import { isNetledgerError } from "../../../src/domain/errors.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalEndpoint, globalEndpoints } from "../../../src/domain/cluster/state.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../../helpers/etcdCluster.js";
import { failure, until } from "../../helpers/wait.js";
import { ClusterNode } from "../../../src/cluster/node.js";
import { Controller } from "../../../src/controller/controller.js";
import { fakePlugin } from "../../helpers/pluginServer/inProcess.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";
import { hexId, threeLogs } from "./logs.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

/** Its own cluster: these tests kill members. */
describe.skipIf(!haveEtcd)(`the cluster log when etcd members fail${why}`, () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Every member running and healthy again: a test that failed with members down leaves none to the next. */
  async function restoreMembers(): Promise<void> {
    for (let i = 0; i < cluster.members.length; i++) await cluster.start(i);
    await cluster.waitHealthy();
  }

  /**
   * Runs `f` on a controller with a plugin answering Scope global ("g" + name), made a node of the test
   * cluster; then restores the members and closes the node and the controller, even when `f` failed.
   */
  async function onGlobalNode(name: string, f: (n: { controller: Controller; node: ClusterNode }) => Promise<void>): Promise<void> {
    await cluster.waitHealthy();
    const pluginDir = tempDir("nlx-plugins-");
    await fakePlugin(pluginDir, `g${name}`, undefined, { scope: "global" });
    const controller = await Controller.open({ db: tempDb("nlx-db-"), pluginDirs: [pluginDir], runDir: tempDir("nlx-run-") });
    const prefix = `/nlx-${name}-${Date.now()}/`;
    const node = await ClusterNode.start(controller, { endpoints: cluster.endpoints, node: name, advertiseAddr: "127.0.0.1", timeoutMs: 1500, prefix, ttlMs: 5000, reclaimAfterMs: 60_000 });
    try {
      await f({ controller, node });
    } finally {
      try {
        await restoreMembers(); // first: the node's lease is revoked in the cluster as it closes
      } finally {
        await node.close({ revoke: true });
        await controller.close();
      }
    }
  }

  it("goes on with one member down, fails with ClusterUnavailable without quorum, and catches up when it returns", async () => {
    const timeoutMs = 1500;
    const { logs, close } = await threeLogs(cluster, timeoutMs);
    try {
      const net = hexId();
      await logs[0]!.submit({ type: "global.node.join", name: "a", address: "127.0.0.1" });
      await logs[0]!.submit({ type: "global.network.create", id: net, name: "f", driver: "nlx", labels: {} });

      // One member down: the cluster goes on. A call may still fail while the members elect a new leader
      // (the killed one may have led) or while the client fails over from the killed member: the caller
      // sends the same command again with its id, as a runtime would, and it is appended exactly once.
      await cluster.kill(0);
      const oneDown = { type: "global.endpoint.create" as const, id: hexId(), name: "one-down", network: net, node: "a" };
      // A call that failed may still have landed: the same id sent again is then refused as a Conflict,
      // which tells the caller its first call did it.
      let landed: "answered" | "conflict" | undefined;
      for (let attempt = 1; !landed && attempt <= 20; attempt++) {
        landed = await logs[1]!.submit(oneDown).then(
          (events) => (expect(events[0]!.type).toBe("global.endpoint.created"), "answered" as const),
          (e: unknown) => {
            console.log(`one member down: call ${attempt} failed (${(e as Error).message}); sent again`);
            return isNetledgerError(e) && e.code === "Conflict" && attempt > 1 ? ("conflict" as const) : undefined;
          },
        );
        if (!landed) await new Promise((r) => setTimeout(r, 250));
      }
      if (!landed) throw new Error("with one member of three down, twenty calls in a row failed");
      expect(globalEndpoints(logs[1]!.current).filter((e) => e.name === "one-down")).toHaveLength(1);

      // The third node follows with one member down (its watch carries the append).
      await until(() => logs[2]!.headSeen.seq >= logs[1]!.headSeen.seq, 50, { ms: 40_000, what: "the third node folding the append made with one member down" });

      // Two down: no quorum. The command fails with ClusterUnavailable and nothing is written.
      await cluster.kill(1);
      const before = logs[2]!.headSeen.seq;
      const started = Date.now();
      const err = await failure(logs[2]!.submit({ type: "global.endpoint.create", id: hexId(), name: "no-quorum", network: net, node: "a" }));
      console.log(`no quorum: ${err.code} after ${Date.now() - started} ms (--cluster-timeout ${timeoutMs} ms): ${err.message}`);
      expect(err.code).toBe("ClusterUnavailable");

      // Members back: the same clients append and every node catches up, no restart.
      await cluster.start(0);
      await cluster.start(1);
      await cluster.waitHealthy();
      let appended = false;
      await until(async () => {
        appended = await logs[0]!
          .submit({ type: "global.endpoint.create", id: hexId(), name: "back", network: net, node: "a" })
          .then(() => true, () => false);
        return appended;
      }, 200, { ms: 40_000, what: "an append once the members were back" });
      const head = Math.max(...logs.map((l) => l.headSeen.seq));
      // No call here makes them read: their watch and their poll of the head do.
      await until(() => logs.every((l) => l.headSeen.seq === head), 50, { ms: 40_000, what: `every node folding to seq ${head}` });
      expect(new Set(logs.map((l) => l.stateHash())).size).toBe(1);
      const names = globalEndpoints(logs[2]!.current).map((e) => e.name).sort();
      // "no-quorum" is there only if etcd applied it after all (in doubt); what matters is one answer everywhere.
      expect(names.filter((n) => n !== "no-quorum")).toEqual(["back", "one-down"]);
      expect(before).toBeGreaterThan(0);
    } finally {
      await close();
      await restoreMembers();
    }
  });

  it("fails a global command with ClusterUnavailable without quorum while a local one succeeds on the same node", async () => {
    await onGlobalNode("q", async ({ controller }) => {
      const net = (await controller.run({ type: "network.create", driver: "gq", name: "gq-net" })).entity!.id;
      await cluster.kill(1);
      await cluster.kill(2);
      const err = await failure(controller.run({ type: "endpoint.create", network: net, name: "needs-quorum" }));
      expect(err.code).toBe("ClusterUnavailable");
      expect(controller.view().endpoints).toEqual([]); // nothing half-written
      const local = await controller.run({ type: "network.create", driver: "null", name: "local-goes-on" });
      expect(local.entity!.id).toBeTruthy();
      await cluster.start(1);
      await cluster.start(2);
      await cluster.waitHealthy();
      await until(
        () => controller.run({ type: "endpoint.create", network: net, name: "after" }).then(() => true, () => false),
        200,
        { ms: 40_000, what: "a global command once the quorum was back" },
      );
      expect(controller.view().endpoints.map((e) => e.name)).toContain("after");
    });
  });

  it("releases the address of an endpoint deleted here while the cluster had no quorum, once it has, without a restart", async () => {
    await onGlobalNode("r", async ({ controller, node }) => {
      const net = (await controller.run({ type: "network.create", driver: "gr", name: "gr-net" })).entity!.id;
      const ep = (await controller.run({ type: "endpoint.create", network: net, name: "half" })).entity!.id;
      const address = globalEndpoint(node.log.current, ep)!.address;
      await cluster.kill(1);
      await cluster.kill(2);
      // The local half (the plugin's DeleteEndpoint) is done; the cluster's half cannot be.
      const err = await failure(controller.run({ type: "endpoint.delete", network: net, endpoint: ep }));
      expect(err.code).toBe("ClusterUnavailable");
      expect(controller.endpoint(ep)).toBeUndefined();
      expect(globalEndpoint(node.log.current, ep)).toBeDefined();
      await cluster.start(1);
      await cluster.start(2);
      await cluster.waitHealthy();
      // No event touches the endpoint again: the reconciler's retry of the failed release is what frees it.
      await until(() => globalEndpoint(node.log.current, ep) === undefined, 100, { ms: 40_000, what: "the reconciler releasing the endpoint deleted without quorum" });
      const again = await controller.run({ type: "endpoint.create", network: net, name: "takes-it", ip: address });
      expect(globalEndpoint(node.log.current, again.entity!.id)!.address).toBe(address);
    });
  });
});
