import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { conflict, illegalState, invalid, NetledgerError, notFound } from "../errors.js";
import type { NewEvent } from "../events.js";
import { shortId } from "../ids.js";
import { networkMachine } from "../machines/network.js";
import { canStep } from "../machines/step.js";
import { checkMtuOption } from "../inputs.js";
import { validateName } from "../names.js";
import { resolveNetwork } from "../resolve.js";
import type { NetworkRecord, State } from "../state.js";
import type { DecideContext, Decision, DriverInfo } from "./context.js";
import { requestEffect } from "./effect.js";
import { assertIdle, planEndpointRemoval } from "./endpoint.js";
import { ipamData, ipamHasEffects, networkReleases, planNetworkIpam, planReleases, requireIpam } from "./ipam.js";
import { preview } from "./preview.js";

function driverOf(ctx: DecideContext, name: string): DriverInfo {
  const d = ctx.drivers[name];
  if (!d) throw notFound(`network driver "${name}" is not registered: no built-in driver or plugin by that name`);
  return d;
}

/** libnetwork's NewNetwork: the name is unique among networks, checked inside the write transaction. */
export function createNetwork(s: State, cmd: CommandOf<"network.create">, ctx: DecideContext): Decision {
  validateName("network", cmd.name);
  const driver = driverOf(ctx, cmd.driver);
  if (C.has(s.networkNames, cmd.name)) throw conflict(`network with name ${cmd.name} already exists`);
  if (C.has(s.networks, cmd.id)) throw conflict(`network with id ${cmd.id} already exists`);
  for (const [k, v] of Object.entries({ ...cmd.options, ...cmd.labels }))
    if (k.length === 0) throw invalid(`option or label with an empty key (value "${v}")`);
  checkMtuOption(cmd.options);
  const ipamDriver = cmd.ipam.driver ?? (driver.usesIpam || cmd.ipam.config.length > 0 ? "default" : "null");
  if (ipamDriver === "null" && cmd.ipam.config.length > 0)
    throw invalid(`the null IPAM driver cannot take subnets; drop --ipam-driver null or the --subnet`);
  const ipam = requireIpam(ctx, ipamDriver);
  // With an IPAM driver that has effects the network waits for its pools, so the driver call is an
  // effect too (the null and host drivers' are harmless): the network is active once it is made.
  const fx = driver.sideEffects || ipam.sideEffects;
  const created: NewEvent[] = [
    {
      type: "network.created",
      stream: cmd.id,
      data: {
        id: cmd.id,
        name: cmd.name,
        driver: driver.name,
        scope: driver.scope,
        ipam: { driver: ipamDriver, config: cmd.ipam.config, options: cmd.ipam.options },
        ipv6: cmd.ipv6,
        internal: cmd.internal,
        options: cmd.options,
        labels: cmd.labels,
        pending: fx,
      },
    },
  ];
  const afterCreate = preview(s, created);
  const pools = planNetworkIpam(s, C.get(afterCreate.networks, cmd.id)!, ctx);
  const events = [...created, ...pools];
  // The driver is told of the pools: the state with them folded in, without folding the network again.
  if (driver.sideEffects && !ipam.sideEffects) events.push(createNetworkEffect(ctx, C.get(preview(afterCreate, pools).networks, cmd.id)!));
  return { events, entity: { kind: "network", id: cmd.id } };
}

/** The driver's CreateNetwork, told of the network's pools (libnetwork's IPv4Data/IPv6Data). */
export function createNetworkEffect(ctx: DecideContext, n: NetworkRecord): NewEvent {
  return requestEffect(ctx, n.driver, "createNetwork", n.id, createNetworkArgs(n));
}

/** A CreateNetwork call's arguments, from the network as recorded: the same at creation and when re-programmed. */
export function createNetworkArgs(n: NetworkRecord) {
  return {
    networkId: n.id,
    name: n.name,
    options: n.options,
    labels: n.labels,
    ipv6: n.ipv6,
    internal: n.internal,
    ipam: { driver: n.ipam.driver, config: n.ipam.config },
    ...ipamData(n),
  };
}

/**
 * The last steps of deleting a network that has no endpoints left: its pools, gateways and auxiliary
 * addresses are released (libnetwork releases IPAM before DeleteNetwork), then the driver's
 * DeleteNetwork, or the completion of the deletion when the driver has nothing to undo. With an IPAM
 * driver that has effects the releases are a chain of calls, and the chain's end takes the next step.
 */
export function planNetworkTeardown(ctx: DecideContext, n: NetworkRecord): NewEvent[] {
  const releases = planReleases(ctx, n, n.id, networkReleases(n));
  if (ipamHasEffects(ctx, n) && releases.length > 0) return releases;
  return [...releases, ...networkDriverStep(ctx, n)];
}

export function networkDriverStep(ctx: DecideContext, n: NetworkRecord): NewEvent[] {
  // A driver not registered now (a plugin that cannot be reached) is still owed its DeleteNetwork: it stays pending.
  if (ctx.drivers[n.driver]?.sideEffects ?? true) return [requestEffect(ctx, n.driver, "deleteNetwork", n.id, { networkId: n.id })];
  return [{ type: "network.deleted", stream: n.id, data: { id: n.id, pending: false } }];
}

function activeEndpointsError(n: NetworkRecord): NetledgerError {
  return new NetledgerError("ActiveEndpoints", `network ${n.name} id ${n.id} has active endpoints`, {
    endpoints: n.endpoints.size,
  });
}

/**
 * libnetwork's Network.Delete: refused while the network has endpoints (ActiveEndpointsError, counted
 * from the endpoints themselves, never from a stored counter); with force the endpoints are removed
 * first, each through its own events.
 */
export function deleteNetwork(s: State, cmd: CommandOf<"network.delete">, ctx: DecideContext): Decision {
  const n = resolveNetwork(s, cmd.network);
  if (!canStep(networkMachine, n.lifecycle, "DELETE"))
    throw illegalState(`network ${n.name} (${shortId(n.id)}) is ${n.lifecycle}; it cannot be deleted now`);
  if (n.endpoints.size > 0 && !cmd.force) throw activeEndpointsError(n);
  assertIdle(s, n.id, `network ${n.name}`, n.lifecycle);
  const driver = ctx.drivers[n.driver];
  const events: NewEvent[] = [];
  // A driver not registered now (a plugin that cannot be reached) is owed its calls: they stay pending
  // until it is back, as an endpoint's are (endpoint.ts), so that the plugin is not left holding the network.
  const sideEffects = (driver?.sideEffects ?? true) || ipamHasEffects(ctx, n);
  for (const epId of C.keys(n.endpoints)) events.push(...planEndpointRemoval(s, C.get(s.endpoints, epId)!, ctx));
  const endpointsRemain = sideEffects && n.endpoints.size > 0;
  if (sideEffects) events.push({ type: "network.deleted", stream: n.id, data: { id: n.id, pending: true } });
  // Without effects the endpoints went in this decision: the teardown sees the state after them.
  if (!endpointsRemain) events.push(...planNetworkTeardown(ctx, C.get(preview(s, events).networks, n.id) ?? n));
  return { events, entity: { kind: "network", id: n.id } };
}
