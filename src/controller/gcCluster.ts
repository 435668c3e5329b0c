import { readCopy } from "../cluster/copy.js";
import type { ClusterState } from "../domain/cluster/state.js";
import type { State } from "../domain/state.js";
import type { GcContext } from "../drivers/contract.js";
import type { Store } from "../store/store.js";

/**
 * What gc's collectors are told. A process that is not the node (the one-shot CLI, where `node` is
 * false) also gets the node's copy of the cluster state, which the overlay driver judges its VXLAN
 * devices' peer entries against; a running node's driver holds the latest table itself.
 */
export function gcContext(store: Store, state: State, node: boolean): GcContext {
  const cluster = node ? undefined : clusterCopyState(store);
  return { state, databaseId: store.databaseId, ...(cluster ? { cluster } : {}) };
}

/**
 * The node's copy of the cluster state; undefined when the database was never a node, or when its
 * copy cannot be read (verify says why): then peer entries are not judged.
 */
export function clusterCopyState(store: Store): ClusterState | undefined {
  const copy = store.cluster;
  if (!copy.present() || copy.head().seq === 0) return undefined;
  try {
    return readCopy(copy).state;
  } catch {
    return undefined;
  }
}
