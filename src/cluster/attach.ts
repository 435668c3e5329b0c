import type { Controller } from "../controller/controller.js";
import type { ClusterOptions } from "./connection.js";
import type { MembershipOptions } from "./membership.js";
import { ClusterNode } from "./node.js";

export type ClusterSettings = ClusterOptions & MembershipOptions;

export { clusterDefaults } from "./defaults.js";

/** What OpenOptions.attachCluster wants: makes the opened controller a node of the cluster. */
export function clusterAttacher(s: ClusterSettings): (c: Controller) => Promise<{ close(): Promise<void> }> {
  return (c) => ClusterNode.start(c, s);
}
