import { z } from "zod";
import { issuesText } from "../schemaIssues.js";
import { invalid } from "../errors.js";

/**
 * The events of the cluster log: what every node of a cluster must agree on (docs/architecture.md,
 * global scope). Global-scope networks with their pool (libnetwork's GlobalDefault address space when
 * no subnet is given), their endpoints with the node each lives on and its address, and the nodes
 * themselves. A node's kernel and plugin work is not here: it stays in the node's own log as effects.
 * Event types carry a `global.` prefix so a verified copy in a node's SQLite never reads as a local event.
 */
const name = z.string().min(1).max(255);
/** An endpoint's DNS names as its node computed them (domain/dnsRecords.ts endpointNames). */
const dnsNames = z.array(z.string().min(1).max(253)).max(256);

export const clusterEventSchemas = {
  "global.node.joined": z.object({ name, address: z.string() }),
  /** The node's lease was gone for --reclaim-after while the cluster answered, or `node rm` said so. */
  "global.node.lost": z.object({ name, by: z.string(), removed: z.boolean() }),
  "global.network.created": z.object({
    id: z.string(),
    name,
    driver: z.string(),
    /** The pool: GlobalDefault/<subnet> for a default pool, or the subnet asked for. */
    pool: z.string(),
    subnet: z.string(),
    gateway: z.string(),
    labels: z.record(z.string(), z.string()),
    /** The driver options and --internal, so every node mirrors the network as it was asked for. */
    options: z.record(z.string(), z.string()).optional(),
    internal: z.boolean().optional(),
    /** The VXLAN id of an overlay network (libnetwork's overlay allocated it in its store), unique in the cluster. */
    vni: z.number().int().optional(),
  }),
  "global.network.deleted": z.object({ id: z.string() }),
  "global.endpoint.created": z.object({
    id: z.string(),
    name,
    network: z.string(),
    node: name,
    /** Plain address, canonical text. */
    address: z.string(),
    /** The names DNS answers for it on the other nodes, its PTR name first (absent in older logs: its name). */
    names: dnsNames.optional(),
  }),
  /** Deleted by its node, or reclaimed because its node was lost: the address is free again either way. */
  "global.endpoint.deleted": z.object({ id: z.string(), reclaimed: z.boolean() }),
} as const;

export type ClusterEventType = keyof typeof clusterEventSchemas;
export type ClusterEventData<T extends ClusterEventType> = z.infer<(typeof clusterEventSchemas)[T]>;
export type ClusterNewEvent = { [T in ClusterEventType]: { type: T; stream: string; data: ClusterEventData<T> } }[ClusterEventType];

/** An event as the cluster log holds it: position, unique id, who wrote it and when, its chain hash. */
export type ClusterEvent = ClusterNewEvent & {
  seq: number;
  id: string;
  meta: { node: string; time: string; batch: string };
  hash: string;
};

export const clusterCommandSchemas = {
  "global.node.join": z.object({ name, address: z.string() }),
  "global.node.lose": z.object({ name, by: z.string(), removed: z.boolean().default(false) }),
  "global.network.create": z.object({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    name,
    driver: z.string(),
    subnet: z.string().optional(),
    labels: z.record(z.string(), z.string()).default({}),
    options: z.record(z.string(), z.string()).optional(),
    internal: z.boolean().optional(),
    /** A VXLAN id asked for, or "auto" for the lowest free one from 4096 (libnetwork's overlay range). */
    vni: z.union([z.number().int().min(1).max(16777215), z.literal("auto")]).optional(),
  }),
  "global.network.delete": z.object({ network: z.string() }),
  "global.endpoint.create": z.object({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    name,
    network: z.string(),
    node: name,
    address: z.string().optional(),
    names: dnsNames.optional(),
  }),
  "global.endpoint.delete": z.object({ endpoint: z.string() }),
} as const;

export type ClusterCommandType = keyof typeof clusterCommandSchemas;
export type ClusterCommand = {
  [T in ClusterCommandType]: { type: T } & z.infer<(typeof clusterCommandSchemas)[T]>;
}[ClusterCommandType];

/** Parses a cluster command; bad input is InvalidParameter with what was wrong, nothing appended. */
export function parseClusterCommand(input: unknown): ClusterCommand {
  const type = typeof input === "object" && input !== null ? (input as { type?: unknown }).type : undefined;
  if (typeof type !== "string" || !(type in clusterCommandSchemas))
    throw invalid(`unknown cluster command ${JSON.stringify(type)}; one of ${Object.keys(clusterCommandSchemas).join(", ")}`);
  const schema = clusterCommandSchemas[type as ClusterCommandType];
  const r = schema.safeParse(input);
  if (!r.success) throw invalid(`${type}: ${issuesText(r.error)}`);
  return { type, ...r.data } as ClusterCommand;
}

/** Checks an event read back from the cluster against its schema; a stranger is Corrupt, never folded. */
export function checkClusterEvent(type: string, data: unknown): ClusterNewEvent["data"] | null {
  if (!(type in clusterEventSchemas)) return null;
  const r = clusterEventSchemas[type as ClusterEventType].safeParse(data);
  return r.success ? r.data : null;
}
