import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Forwarding } from "../../../src/cluster/forwarding.js";
import { appenderKey, reqPrefix } from "../../../src/cluster/records.js";
import { globalEndpoints } from "../../../src/domain/cluster/state.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../../helpers/etcdCluster.js";
import { failure, until } from "../../helpers/wait.js";
import { hexId, threeLogs } from "./logs.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

describe.skipIf(!haveEtcd)(`the elected appender (a cluster-wide group commit)${why}`, () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Three logs, each with its forwarding and a lease of its own. */
  async function three() {
    const t = await threeLogs(cluster);
    const leases = t.logs.map((l) => l.conn.kv.lease(10));
    const fw = t.logs.map((l, i) => new Forwarding(l, () => leases[i]!.grant()));
    return {
      logs: t.logs,
      fw,
      close: async () => {
        for (const f of fw) await f.stop();
        for (const l of leases) await l.revoke().catch(() => undefined);
        await t.close();
      },
    };
  }

  it("appends what the other nodes forward, once each, answering refusals with their code", async () => {
    const { logs, fw, close } = await three();
    try {
      for (const f of fw) await f.start();
      await until(() => fw.every((f) => f.leader !== null && f.leader === fw[0]!.leader));
      await Promise.all(fw.map((f, i) => f.submit({ type: "global.node.join", name: "abc"[i]!, address: `127.0.0.${i + 1}` })));
      const net = hexId();
      await fw[1]!.submit({ type: "global.network.create", id: net, name: "fw", driver: "nlx", labels: {} });
      await until(() => logs.every((l) => l.current.networks[net] !== undefined));
      const made = await Promise.all(
        fw.flatMap((f, i) => Array.from({ length: 30 }, (_, k) => f.submit({ type: "global.endpoint.create", id: hexId(), name: `e-${i}-${k}`, network: net, node: "abc"[i]! }))),
      );
      const addresses = made.map((evs) => (evs[0]?.type === "global.endpoint.created" ? evs[0].data.address : "none"));
      expect(new Set(addresses).size).toBe(90);
      expect(addresses).not.toContain("none");
      const followers = fw.filter((f) => f.leader !== logs[fw.indexOf(f)]!.conn.o.node);
      expect(followers.length).toBe(2);
      expect(followers.reduce((a, f) => a + f.forwarded, 0)).toBeGreaterThanOrEqual(60);
      // A refusal decided by the appender reaches the sender with its own code, and nothing is written.
      const follower = followers[0]!;
      const err = await failure(follower.submit({ type: "global.endpoint.create", id: hexId(), name: "e-0-0", network: net, node: "a" }));
      expect(err.code).toBe("Conflict");
      const head = Math.max(...logs.map((l) => l.headSeen.seq));
      await until(() => logs.every((l) => l.headSeen.seq === head));
      expect(globalEndpoints(logs[2]!.current).length).toBe(90);
      expect(new Set(logs.map((l) => l.stateHash())).size).toBe(1);
      expect(await logs[0]!.conn.kv.getAll().prefix(reqPrefix).keys()).toEqual([]);
    } finally {
      await close();
    }
  });

  it("takes a command back and appends it directly when the appender does not answer", async () => {
    const { logs, fw, close } = await three();
    const ghost = logs[0]!.conn.kv.lease(30);
    try {
      // An appender that holds the key but serves nothing (a node that hung, its lease not yet expired).
      await ghost.put(appenderKey).value("ghost");
      await fw[1]!.start();
      expect(fw[1]!.leader).toBe("ghost");
      const net = hexId();
      const evs = await fw[1]!.submit({ type: "global.network.create", id: net, name: "fb", driver: "nlx", labels: {} });
      expect(evs[0]?.type).toBe("global.network.created");
      expect(fw[1]!.fellBack).toBe(1);
      expect(await logs[0]!.conn.kv.getAll().prefix(reqPrefix).keys()).toEqual([]);
      await until(() => logs[0]!.current.networks[net] !== undefined);
    } finally {
      await ghost.revoke().catch(() => undefined);
      await close();
    }
  });
});
