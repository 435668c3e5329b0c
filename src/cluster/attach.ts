import type { Controller } from "../controller/controller.js";
import { ClusterNode, type NodeOptions } from "./node.js";

/** How a controller becomes a node: the cluster, its lease's timings, and where its problems are told. */
export type ClusterSettings = NodeOptions;

export { clusterDefaults } from "./defaults.js";

/** What OpenOptions.attachCluster wants: makes the opened controller a node of the cluster. */
export function clusterAttacher(s: ClusterSettings): (c: Controller) => Promise<{ close(): Promise<void> }> {
  return (c) => ClusterNode.start(c, s);
}
