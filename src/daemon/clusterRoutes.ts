import { z } from "zod";
import { clusterStatusSchema, nodeViewSchema } from "../api/clusterSchemas.js";
import { type Route, route } from "./route.js";

/**
 * The cluster's read side over REST (issue 17): what `cluster status` and `node ls` show, as the daemon's
 * own node sees it (its folded cursor, the lease times it noted). A daemon that is not a node answers
 * NotFound, naming --cluster.
 */
export const clusterRoutes: Route[] = [
  route({
    method: "GET",
    path: "/cluster",
    operationId: "clusterStatus",
    summary: "the etcd members, the cluster log's head, this node's cursor and the state hash of the global part",
    response: clusterStatusSchema,
    handle: (api) => api.clusterStatus(),
  }),
  route({
    method: "GET",
    path: "/nodes",
    operationId: "listNodes",
    summary: "the nodes of the cluster: alive or lost, when this node last saw each lease, their endpoints",
    response: z.array(nodeViewSchema),
    handle: (api) => api.nodes(),
  }),
];
