import { checkClusterEvent } from "../domain/cluster/events.js";
import { type ClusterState, emptyClusterState, evolveCluster } from "../domain/cluster/state.js";
import { chainHash, genesisHash } from "../store/hashChain.js";
import type { Store } from "../store/store.js";

/** A problem of the copy, as verify reports it (kind `cluster`). */
export interface ClusterCopyProblem {
  seq: number;
  kind: "cluster";
  message: string;
}

/**
 * verify over this node's copy of the cluster log (global scope): gap-free from its base, every link
 * of the chain, every record fitting its event's schema, and a replay of the global part that the
 * reducers accept. Problems are of kind `cluster`, named at the copy's seq.
 */
export function verifyClusterCopy(store: Store): ClusterCopyProblem[] {
  const copy = store.cluster;
  if (!copy.present()) return [];
  const problems: ClusterCopyProblem[] = [];
  const base = copy.base();
  let state: ClusterState | null = base ? (JSON.parse(base.state) as ClusterState) : emptyClusterState();
  let prev = base?.hash ?? genesisHash;
  let seq = base?.seq ?? 0;
  for (const r of copy.rows()) {
    const at = (message: string) => problems.push({ seq: r.seq, kind: "cluster", message: `cluster log copy, seq ${r.seq}: ${message}` });
    if (r.seq !== seq + 1) at(`records ${seq + 1}–${r.seq - 1} are missing`);
    if (chainHash(prev, r) !== r.hash) at("does not match its hash: the row was changed after it was copied");
    const data = checkClusterEvent(r.type, JSON.parse(r.data));
    if (data === null) at(`is not a valid ${r.type} event`);
    else if (state) {
      try {
        evolveCluster(state, { type: r.type, stream: r.stream, data } as Parameters<typeof evolveCluster>[1], r.seq);
      } catch (e) {
        at(`the global part cannot take it: ${(e as Error).message}`);
        state = null;
      }
    }
    prev = r.hash;
    seq = r.seq;
  }
  return problems;
}
