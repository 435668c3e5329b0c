/**
 * The cluster's read-side and admin calls for the CLI (`cluster status`, `node ls`, `node rm`): they
 * talk to etcd directly, so they work without a daemon and without this host's database.
 */
export { clusterAttacher, clusterDefaults, type ClusterSettings } from "../cluster/attach.js";
export { clusterStatus, nodeList, removeNode, type ClusterStatus, type MemberStatus } from "../cluster/status.js";
export type { NodeView } from "../cluster/membership.js";
export type { ClusterOptions } from "../cluster/connection.js";
