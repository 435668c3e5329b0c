import type { Controller } from "../controller/controller.js";
import type { ClusterOptions } from "./connection.js";
import type { MembershipOptions } from "./membership.js";
import { ClusterNode } from "./node.js";

export type ClusterSettings = ClusterOptions & MembershipOptions;

/** Defaults of `serve`'s options (docs/interface.md): --node-ttl 15s, --reclaim-after 60s, --cluster-timeout 5s. */
export const clusterDefaults = { ttlMs: 15_000, reclaimAfterMs: 60_000, timeoutMs: 5_000 } as const;

/** What OpenOptions.attachCluster wants: makes the opened controller a node of the cluster. */
export function clusterAttacher(s: ClusterSettings): (c: Controller) => Promise<{ close(): Promise<void> }> {
  return (c) => ClusterNode.start(c, s);
}
