import { randomBytes } from "node:crypto";
import { ClusterLog } from "../../../src/cluster/clusterLog.js";
import { ClusterConnection } from "../../../src/cluster/connection.js";
import type { EtcdCluster } from "../../helpers/etcdCluster.js";

/** Three nodes' logs on one cluster, under a key prefix of their own so tests of one file do not meet. */
export async function threeLogs(cluster: EtcdCluster, timeoutMs = 5000): Promise<{ logs: ClusterLog[]; close: () => Promise<void> }> {
  const prefix = `/nlx-${randomBytes(6).toString("hex")}/`;
  const logs = ["a", "b", "c"].map(
    (node, i) =>
      new ClusterLog(new ClusterConnection({ endpoints: cluster.endpoints, node, advertiseAddr: `127.0.0.${i + 1}`, timeoutMs, prefix })),
  );
  await Promise.all(logs.map((l) => l.open()));
  return {
    logs,
    close: async () => {
      for (const l of logs) {
        await l.close();
        l.conn.close();
      }
    },
  };
}

export const hexId = (): string => randomBytes(32).toString("hex");

/** Node `a` joined and one global network made on `log`: what most tests of one log start from. Returns the network's id. */
export async function joinedWithNetwork(log: ClusterLog, name: string): Promise<string> {
  await log.submit({ type: "global.node.join", name: "a", address: "127.0.0.1" });
  const net = hexId();
  await log.submit({ type: "global.network.create", id: net, name, driver: "nlx", labels: {} });
  return net;
}
