import { z } from "zod";
import { headSchema } from "./schemas.js";

/** `cluster status --json` and `GET /cluster` (docs/interface.md). */
export const clusterStatusSchema = z.object({
  members: z.array(z.object({ name: z.string(), endpoint: z.string(), healthy: z.boolean() })),
  node: z.string(),
  head: headSchema,
  cursor: z.number().int(),
  stateHash: z.string(),
});

/** One row of `node ls --json` and `GET /nodes`. */
export const nodeViewSchema = z.object({
  name: z.string(),
  address: z.string(),
  state: z.enum(["alive", "lost"]),
  lastSeen: z.string().nullable(),
  endpoints: z.number().int(),
});
