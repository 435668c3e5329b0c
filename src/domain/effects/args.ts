import { z } from "zod";
import { ipamConfigSchema, ipamRoleSchema, ipFamilySchema, portBindingSchema } from "../values.js";

/**
 * The arguments of every effect operation, exactly as effect.requested stores them. Objects are loose
 * (members they do not name are kept): an undo is sent with the arguments of the call it undoes (a
 * DeleteEndpoint with CreateEndpoint's, a Leave with Join's), and a driver may be handed extras.
 */

const strMap = z.record(z.string(), z.string());
const interfaceInfo = z.object({ address: z.string().nullable(), addressIPv6: z.string().nullable(), mac: z.string().nullable() });
const ipamData = z.object({
  addressSpace: z.string(),
  pool: z.string(),
  gateway: z.string().optional(),
  auxAddresses: strMap.optional(),
});

export const createNetworkArgs = z.looseObject({
  networkId: z.string(),
  name: z.string(),
  options: strMap,
  labels: strMap,
  ipv6: z.boolean(),
  internal: z.boolean(),
  ipam: z.object({ driver: z.string(), config: z.array(ipamConfigSchema) }),
  /** What IPAM gave the network (libnetwork's IPAMData), prefix lengths kept. */
  ipv4Data: z.array(ipamData).optional(),
  ipv6Data: z.array(ipamData).optional(),
  /** Sent again after a reboot to re-program a network that exists: its pools are kept whatever it answers. */
  reprogram: z.boolean().optional(),
});

export const deleteNetworkArgs = z.looseObject({ networkId: z.string() });

export const createEndpointArgs = z.looseObject({
  networkId: z.string(),
  endpointId: z.string(),
  interface: interfaceInfo,
  options: z.looseObject({
    ports: z.array(portBindingSchema),
    aliases: z.array(z.string()),
    /** The endpoint's driver options (`--driver-opt`), when it has some: a remote driver gets them in Options. */
    driverOpts: strMap.optional(),
  }),
});

export const deleteEndpointArgs = z.looseObject({ networkId: z.string(), endpointId: z.string() });

export const joinArgs = z.looseObject({
  networkId: z.string(),
  endpointId: z.string(),
  sandboxId: z.string(),
  /** The namespace path, or null for the host's. */
  sandboxKey: z.string().nullable(),
  options: z.looseObject({ ports: z.array(portBindingSchema).optional() }),
  interface: interfaceInfo.optional(),
  gateway: z.string().nullable().optional(),
  gatewayIPv6: z.string().nullable().optional(),
  network: z.object({ options: strMap, internal: z.boolean(), ipv6: z.boolean() }).optional(),
  /** The interface's name in the sandbox, when the caller chose it. */
  ifname: z.string().optional(),
  /** The join of a `network connect`: its failure removes the endpoint again. */
  connect: z.boolean().optional(),
});

/** Join's arguments and what the join answered (none when it undoes a Join in doubt). */
export const leaveArgs = joinArgs.extend({ joinInfo: z.record(z.string(), z.unknown()).nullable().optional() });

export const createSandboxArgs = z.looseObject({ sandboxId: z.string(), key: z.string(), create: z.boolean() });
export const deleteSandboxArgs = z.looseObject({ sandboxId: z.string(), key: z.string() });

/** A release owed to an IPAM driver: an address of a pool, or the pool itself. */
export const releaseStepSchema = z.object({
  op: z.enum(["releaseAddress", "releasePool"]),
  network: z.string(),
  driver: z.string(),
  pool: z.string(),
  owner: z.string(),
  address: z.string().optional(),
  role: ipamRoleSchema.optional(),
  name: z.string().optional(),
});
export type ReleaseStep = z.infer<typeof releaseStepSchema>;

/** What every IPAM effect carries besides the driver's request: what decide needs to record its answer. */
const ipamCommon = {
  network: z.string(),
  /** The network (pools, gateways, aux addresses) or endpoint the call is for. */
  owner: z.string(),
};

/** A release, and those still owed after it (a chain, one call at a time). */
const chain = { step: releaseStepSchema.optional(), rest: z.array(releaseStepSchema).optional() };

/** The request of each IPAM call as the driver receives it (ipamapi's arguments). */
export const requestPoolArgs = z.looseObject({
  ...ipamCommon,
  family: ipFamilySchema,
  role: z.literal("pool"),
  request: z.looseObject({ addressSpace: z.string(), pool: z.string(), subPool: z.string(), options: strMap, v6: z.boolean() }),
  /** The user gave a gateway, so a gateway in the pool's data is not taken. */
  userGateway: z.boolean(),
});
export const releasePoolArgs = z.looseObject({ ...ipamCommon, ...chain, request: z.looseObject({ poolId: z.string() }) });
export const requestAddressArgs = z.looseObject({
  ...ipamCommon,
  family: ipFamilySchema,
  role: ipamRoleSchema,
  /** An auxiliary address's name. */
  name: z.string().optional(),
  request: z.looseObject({ poolId: z.string(), address: z.string(), options: strMap }),
  /** For an endpoint's IPv4 address: the IPv6 address it asked for, requested next. */
  preferred6: z.string().optional(),
});
/** Also RequestAddress's undo, sent with its arguments: an address asked for by nobody ("") is not released. */
export const releaseAddressArgs = z.looseObject({ ...ipamCommon, ...chain, request: z.looseObject({ poolId: z.string(), address: z.string() }) });
