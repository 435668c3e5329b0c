import fc from "fast-check";
import { globalEndpoints } from "../../src/domain/cluster/state.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterCommand } from "../../src/domain/cluster/events.js";
import { ClusterLog } from "../../src/cluster/clusterLog.js";
import { ClusterConnection } from "../../src/cluster/connection.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../helpers/etcdCluster.js";
import { until } from "../helpers/wait.js";
import { hexId, threeLogs } from "../integration/cluster/logs.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

/** One step: which node, what kind of command, a number that picks its target among what exists. */
const step = fc.record({
  node: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom("network.create", "network.delete", "endpoint.create", "endpoint.create", "endpoint.create", "endpoint.delete", "node.lose", "node.join"),
  pick: fc.nat(1000),
  /** Steps of one wave run concurrently; a new wave waits for the last. */
  wave: fc.boolean(),
});

function commandFor(log: ClusterLog, s: { node: number; kind: string; pick: number }): ClusterCommand {
  const st = log.current;
  const nets = Object.values(st.networks);
  const eps = globalEndpoints(st);
  const nodes = ["a", "b", "c"];
  switch (s.kind) {
    case "network.create":
      return { type: "global.network.create", id: hexId(), name: `n${s.pick % 4}`, driver: "nlx", labels: {}, ...(s.pick % 3 === 0 ? { subnet: `10.9.${s.pick % 4}.0/29` } : {}) };
    case "network.delete":
      return { type: "global.network.delete", network: nets.length ? nets[s.pick % nets.length]!.id : "none" };
    case "endpoint.create":
      return { type: "global.endpoint.create", id: hexId(), name: `e${s.pick % 20}`, network: nets.length ? nets[s.pick % nets.length]!.id : "none", node: nodes[s.node]! };
    case "endpoint.delete":
      return { type: "global.endpoint.delete", endpoint: eps.length ? eps[s.pick % eps.length]!.id : "none" };
    case "node.lose":
      return { type: "global.node.lose", name: nodes[s.pick % 3]!, by: nodes[s.node]!, removed: false };
    default:
      return { type: "global.node.join", name: nodes[s.pick % 3]!, address: `127.0.0.${(s.pick % 3) + 1}` };
  }
}

describe.skipIf(!haveEtcd)(`random global commands on three nodes${why}`, () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("end in one state on every node, with no address twice and no gap in the cluster log", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 60 }), async (steps) => {
        const { logs, close } = await threeLogs(cluster);
        try {
          await Promise.all(logs.map((l, i) => l.submit({ type: "global.node.join", name: "abc"[i]!, address: `127.0.0.${i + 1}` })));
          let wave: Promise<unknown>[] = [];
          for (const s of steps) {
            if (s.wave) {
              await Promise.allSettled(wave);
              wave = [];
            }
            const log = logs[s.node]!;
            wave.push(log.submit(commandFor(log, s)));
          }
          const settled = await Promise.allSettled(wave);
          for (const r of settled)
            if (r.status === "rejected") expect(["NotFound", "Conflict", "Forbidden", "ActiveEndpoints", "Exhausted"]).toContain((r.reason as { code: string }).code);
          const head = Math.max(...logs.map((l) => l.headSeen.seq));
          await until(() => logs.every((l) => l.headSeen.seq === head));
          expect(new Set(logs.map((l) => l.stateHash())).size).toBe(1);

          // No address twice within a network; every endpoint's address inside its network's subnet.
          const st = logs[0]!.current;
          const seen = new Set<string>();
          for (const ep of globalEndpoints(st)) {
            const key = `${ep.network}|${ep.address}`;
            expect(seen.has(key), `address ${ep.address} twice`).toBe(false);
            seen.add(key);
            expect(ep.address).not.toBe(st.networks[ep.network]!.gateway);
          }

          // A node that reads the whole log afresh (verifying the chain, seq by seq) folds the same state.
          const fresh = new ClusterLog(new ClusterConnection({ ...logs[0]!.conn.o, node: "fresh" }));
          await fresh.catchUp();
          expect(fresh.headSeen.seq).toBe(head);
          expect(fresh.stateHash()).toBe(logs[0]!.stateHash());
          fresh.conn.close();
        } finally {
          await close();
        }
      }),
      { numRuns: 6 },
    );
  });
});
