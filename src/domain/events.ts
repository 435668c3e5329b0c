import { z } from "zod";
import { effectRequestedSchema } from "./effects/requested.js";
import { attemptSchema, errorInfoSchema, ipamConfigSchema, ipamRoleSchema, ipFamilySchema, portBindingSchema } from "./values.js";

export { ipamConfigSchema, portBindingSchema };
export type { Attempt, ErrorInfo, IpamConfig, IpamRole, PortBinding } from "./values.js";

/**
 * Every event type with its zod schema and current version. Stored events are upcast to the current
 * version when read (`upcast`); nothing stored is ever rewritten (docs/architecture.md, the log).
 */

const ipamSchema = z.object({
  driver: z.string(),
  config: z.array(ipamConfigSchema),
  options: z.record(z.string(), z.string()),
});
export type Ipam = z.infer<typeof ipamSchema>;

export const extraHostSchema = z.object({ name: z.string(), ip: z.string() });
export type ExtraHost = z.infer<typeof extraHostSchema>;

const strMap = z.record(z.string(), z.string());

/** An address a pool hands out, as its request and its release both name it. */
const ipamAddressSchema = z.object({
  network: z.string(),
  driver: z.string(),
  pool: z.string(),
  /** Plain address, canonical text. */
  address: z.string(),
  /** The network (gateway, auxiliary address) or endpoint that holds it. */
  owner: z.string(),
  role: ipamRoleSchema,
  /** An auxiliary address's name. */
  name: z.string().optional(),
});

export const eventSchemas = {
  "driver.configured": z.object({ driver: z.string(), options: z.record(z.string(), z.unknown()) }),
  "network.created": z.object({
    id: z.string(),
    name: z.string(),
    driver: z.string(),
    scope: z.enum(["local", "global"]),
    ipam: ipamSchema,
    ipv6: z.boolean(),
    internal: z.boolean(),
    options: strMap,
    labels: strMap,
    /** A driver call (CreateNetwork) is owed before the network is active. */
    pending: z.boolean(),
  }),
  "network.deleted": z.object({ id: z.string(), pending: z.boolean() }),
  /** A forced delete stopped: one of its endpoints could not be removed. The network stays active. */
  "network.deleteAborted": z.object({ id: z.string(), error: errorInfoSchema }),
  /** The kernel lost the network's objects (a reboot): CreateNetwork is owed again (REPROGRAM). */
  "network.reprogrammed": z.object({ id: z.string() }),
  "endpoint.created": z.object({
    id: z.string(),
    network: z.string(),
    name: z.string(),
    ipv4: z.string().nullable(),
    ipv6: z.string().nullable(),
    mac: z.string().nullable(),
    gateway: z.string().nullable(),
    gateway6: z.string().nullable(),
    ports: z.array(portBindingSchema),
    aliases: z.array(z.string()),
    pending: z.boolean(),
    /** Set by `network connect`: join this sandbox once the endpoint exists. */
    connect: z.string().optional(),
    /** The interface's name in the sandbox, when the caller chose it (CNI_IFNAME). */
    ifname: z.string().optional(),
    /**
     * The endpoint's driver options (Docker's `--driver-opt`), only when some were given: logs written
     * before the field existed read as having none, so no new version of the event is needed.
     */
    driverOpts: strMap.optional(),
  }),
  "endpoint.joined": z.object({ id: z.string(), sandbox: z.string(), pending: z.boolean() }),
  "endpoint.left": z.object({
    id: z.string(),
    sandbox: z.string(),
    pending: z.boolean(),
    /** Set by disconnect and forced removals: delete the endpoint once it has left. */
    remove: z.boolean().optional(),
  }),
  /** The kernel lost a joined endpoint's objects: Join is owed again (REPROGRAM). */
  "endpoint.reprogrammed": z.object({ id: z.string() }),
  "endpoint.deleted": z.object({ id: z.string(), pending: z.boolean(), force: z.boolean().optional() }),
  "sandbox.created": z.object({
    id: z.string(),
    containerId: z.string(),
    key: z.string().nullable(),
    hostname: z.string(),
    domainname: z.string(),
    dns: z.array(z.string()),
    extraHosts: z.array(extraHostSchema),
    pending: z.boolean(),
  }),
  "sandbox.deleted": z.object({ id: z.string(), pending: z.boolean(), force: z.boolean().optional() }),
  // IPAM: every pool and address a network or endpoint holds is requested and released by an event
  // (its driver's answer, for an IPAM driver with effects), so what is in use is what the log says.
  "ipam.pool.requested": z.object({
    network: z.string(),
    driver: z.string(),
    /** The driver's pool id. */
    pool: z.string(),
    addressSpace: z.string(),
    family: ipFamilySchema,
    subnet: z.string(),
    ipRange: z.string().nullable(),
    data: strMap,
  }),
  "ipam.pool.released": z.object({ network: z.string(), driver: z.string(), pool: z.string() }),
  "ipam.address.requested": ipamAddressSchema.extend({
    /** Chosen by the allocator (it moves the allocator's cursor), not asked for by address. */
    dynamic: z.boolean(),
  }),
  "ipam.address.released": ipamAddressSchema,
  /**
   * A request for any address (or any pool) was in doubt: the lost answer may hold one in the IPAM
   * driver that nothing here names, so it cannot be released. Recorded for `verify` and `gc` to report.
   */
  "ipam.leak.suspected": z.object({
    driver: z.string(),
    network: z.string(),
    owner: z.string(),
    /** The request in doubt: the effect, its operation, and what it asked the driver. */
    effect: z.number().int(),
    op: z.enum(["requestPool", "requestAddress"]),
    /** The pool the address was asked of; null for a pool request (the pool itself is what is unknown). */
    pool: z.string().nullable(),
    request: z.record(z.string(), z.unknown()),
    /** How many attempts may have been answered and lost. */
    lost: z.number().int().min(1),
  }),
  /** A sandbox delete stopped: one of its endpoints could not leave. The sandbox stays ready. */
  "sandbox.deleteAborted": z.object({ id: z.string(), error: errorInfoSchema }),
  /** A driver call's intent: one of the effect table's operations with its arguments (effects/requested.ts). */
  "effect.requested": effectRequestedSchema,
  "effect.attempted": z.object({ effect: z.number().int(), attempt: attemptSchema }),
  /** An attempt that sent nothing: its driver could not be reached (PluginUnavailable). */
  "effect.unsent": z.object({ effect: z.number().int(), attempt: z.number().int().min(1), error: errorInfoSchema }),
  "effect.succeeded": z.object({ effect: z.number().int(), result: z.unknown() }),
  "effect.failed": z.object({ effect: z.number().int(), error: errorInfoSchema }),
  /**
   * The kernel was booted since the log last saw it (a boot id other than the last one recorded): its
   * namespaces, links and rules are gone, and every effect of the earlier boot is in doubt.
   */
  "host.booted": z.object({ boot: z.string(), previous: z.string().nullable() }),
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;

export const currentVersion: Record<EventType, number> = Object.fromEntries(
  Object.keys(eventSchemas).map((t) => [t, 1]),
) as Record<EventType, number>;

export const metaSchema = z.object({
  actor: z.string(),
  time: z.string(),
  requestId: z.string().optional(),
  /** The seq of the event that caused this one (an effect outcome's intent, say). */
  causation: z.number().int().optional(),
  /** The caller's own labels, for the audit trail (a CNI runtime's CNI_ARGS: K8S_POD_NAME…). */
  labels: z.record(z.string(), z.string()).optional(),
});
export type EventMeta = z.infer<typeof metaSchema>;

/** An event as decide() produces it, before the log gives it a seq and a hash. */
export type NewEvent = {
  [T in EventType]: { type: T; stream: string; data: EventData<T> };
}[EventType];

/** An event as stored in and read from the log. */
export type StoredEvent = NewEvent & { seq: number; version: number; meta: EventMeta; hash: string };

export function isEventType(t: string): t is EventType {
  return Object.hasOwn(eventSchemas, t);
}

/**
 * Upcasters: pure functions from (type, version) to the next version's data. Empty while every type is
 * at version 1; a new version of a type adds one entry here and a fixture log under test/fixtures.
 */
const upcasters: Partial<Record<EventType, Record<number, (data: unknown) => unknown>>> = {};

export function upcast(type: EventType, version: number, data: unknown): unknown {
  const target = currentVersion[type];
  let v = version;
  let d = data;
  while (v < target) {
    const up = upcasters[type]?.[v];
    if (!up) throw new Error(`no upcaster for ${type} from version ${v}`);
    d = up(d);
    v++;
  }
  if (v > target) throw new Error(`${type} version ${version} is newer than this netledger knows (${target})`);
  return d;
}
