import { decideCluster } from "../../src/domain/cluster/decide.js";
import type { ClusterCommand } from "../../src/domain/cluster/events.js";
import { type ClusterState, emptyClusterState, foldCluster } from "../../src/domain/cluster/state.js";

/** Given these cluster commands decided and folded in turn, the cluster state: decide's own level, no etcd. */
export function givenCluster(...commands: ClusterCommand[]): ClusterState {
  let s = emptyClusterState();
  for (const c of commands) {
    const events = decideCluster(s, c);
    s = foldCluster(s, events.map((event, i) => ({ event, seq: s.seq + 1 + i })));
  }
  return s;
}

/** A 64-hex id made from a small number, for readable fixtures. */
export const hexOf = (n: number): string => n.toString(16).padStart(64, "0");

/** A node joining the cluster at an underlay address. */
export const nodeJoin = (name: string, address: string): ClusterCommand => ({ type: "global.node.join", name, address });

/** The state with endpoints that throw when read: a projection that must not walk them shows it does not. */
export function withUnreadEndpoints(s: ClusterState): ClusterState {
  const unread = new Proxy({} as ClusterState["endpoints"], {
    get: () => {
      throw new Error("the endpoints were read");
    },
  });
  return { ...s, endpoints: unread };
}
