/** The cluster defaults alone, for the CLI's option parsing: src/api/cluster.ts would load the etcd client with them. */
export { clusterDefaults } from "../cluster/defaults.js";
