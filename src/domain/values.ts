import { z } from "zod";

/**
 * Value schemas that events and effect arguments share. Kept apart from events.ts so that the effect
 * table (whose arguments use them) and the event schemas (which hold the effect table's union) do not
 * import each other.
 */

export const ipamConfigSchema = z.object({
  subnet: z.string(),
  gateway: z.string().optional(),
  ipRange: z.string().optional(),
  auxAddresses: z.record(z.string(), z.string()).optional(),
});
export type IpamConfig = z.infer<typeof ipamConfigSchema>;

export const portBindingSchema = z.object({
  proto: z.enum(["tcp", "udp", "sctp"]),
  port: z.number().int().min(1).max(65535),
  hostIp: z.string(),
  hostPort: z.number().int().min(0).max(65535),
});
export type PortBinding = z.infer<typeof portBindingSchema>;

export const ipFamilySchema = z.union([z.literal(4), z.literal(6)]);
export const ipamRoleSchema = z.enum(["gateway", "aux", "endpoint"]);
export type IpamRole = z.infer<typeof ipamRoleSchema>;

export const attemptSchema = z.object({
  pid: z.number().int(),
  /** Process start time, in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
  start: z.string(),
  /** Kernel boot id: a process from an earlier boot is gone whatever its pid. */
  boot: z.string(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const errorInfoSchema = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof errorInfoSchema>;
