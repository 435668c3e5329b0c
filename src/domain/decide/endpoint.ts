import { isIP } from "../addresses.js";
import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { conflict, forbidden, illegalState, invalid, notFound } from "../errors.js";
import type { ErrorInfo, NewEvent } from "../events.js";
import { shortId } from "../ids.js";
import { endpointMachine } from "../machines/endpoint.js";
import { canStep } from "../machines/step.js";
import { validateName } from "../names.js";
import { resolveEndpoint, resolveNetwork, resolveSandbox } from "../resolve.js";
import type { EndpointRecord, NetworkRecord, SandboxRecord, State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { requestEffect } from "./effect.js";
import { endpointReleases, ipamHasEffects, planEndpointIpam, planReleases } from "./ipam.js";
import { joinable } from "./joinable.js";

function label(kind: string, name: string, id: string): string {
  return name === id ? `${kind} ${shortId(id)}` : `${kind} ${name} (${shortId(id)})`;
}

/** At most one effect per resource is in flight (invariant 5): a second command on it waits its turn. */
export function assertIdle(s: State, resource: string, what: string, lifecycle: string): void {
  const open = C.get(s.effectsByResource, resource);
  if (open !== undefined)
    throw conflict(
      `${what} has an operation in progress (${lifecycle}, effect ${open}); retry when it completes, or run "netledger recover"`,
      { effect: open },
    );
}

/**
 * Whether calls to a network's driver are effects. A driver this process does not know (a plugin that
 * is not running, a driver another process registered) is assumed to have them: the call is owed and
 * stays pending until a process that has the driver makes it, rather than being silently skipped.
 */
function sideEffects(ctx: DecideContext, driver: string): boolean {
  return ctx.drivers[driver]?.sideEffects ?? true;
}

/** Creating or deleting an endpoint waits on effects when its driver's or its IPAM driver's calls are. */
function lifecycleEffects(ctx: DecideContext, n: NetworkRecord): boolean {
  return sideEffects(ctx, n.driver) || ipamHasEffects(ctx, n);
}

export function endpointArgs(
  n: NetworkRecord,
  ep: Pick<EndpointRecord, "id" | "ipv4" | "ipv6" | "mac" | "ports" | "aliases" | "driverOpts">,
) {
  return {
    networkId: n.id,
    endpointId: ep.id,
    interface: { address: ep.ipv4, addressIPv6: ep.ipv6, mac: ep.mac },
    options: { ports: ep.ports, aliases: ep.aliases, ...(ep.driverOpts !== undefined ? { driverOpts: ep.driverOpts } : {}) },
  };
}

/**
 * A Join call's arguments: the remote protocol's fields, and what a built-in driver needs to place the
 * interface (libnetwork's drivers keep that in their own tables; here the log carries it).
 */
export function joinArgs(n: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord) {
  return {
    networkId: n.id,
    endpointId: ep.id,
    sandboxId: sb.id,
    sandboxKey: sb.key,
    options: { ports: ep.ports },
    interface: { address: ep.ipv4, addressIPv6: ep.ipv6, mac: ep.mac },
    ...(ep.ifname !== undefined ? { ifname: ep.ifname } : {}),
    gateway: ep.gateway,
    gatewayIPv6: ep.gateway6,
    network: { options: n.options, internal: n.internal, ipv6: n.ipv6 },
  };
}

function activeNetwork(s: State, ref: string): NetworkRecord {
  const n = resolveNetwork(s, ref);
  if (n.lifecycle !== "active")
    throw illegalState(`${label("network", n.name, n.id)} is ${n.lifecycle}; endpoints can only be added to an active network`);
  return n;
}

interface NewEndpoint {
  id: string;
  name: string;
  ip?: string | undefined;
  ip6?: string | undefined;
  mac?: string | undefined;
  ports: EndpointRecord["ports"];
  aliases: string[];
  ifname?: string | undefined;
  driverOpts?: Record<string, string> | undefined;
}

/**
 * Keys netledger itself puts in CreateEndpoint's Options (libnetwork's netlabel): a driver option may
 * not stand in for them, so the MAC a driver sees is the endpoint's.
 */
const reservedDriverOpts = new Set(["com.docker.network.endpoint.macaddress"]);

function checkDriverOpts(opts: Record<string, string> = {}): void {
  for (const k of Object.keys(opts)) {
    if (k === "") throw invalid(`driver option "=${opts[k]}" has an empty key: write KEY=VALUE`);
    if (reservedDriverOpts.has(k)) throw invalid(`driver option ${k} is set by netledger from the endpoint's MAC; use --mac instead`);
  }
}

/** An interface name the kernel takes (IFNAMSIZ less its NUL), as CNI_IFNAME must be. */
const ifnamePattern = /^[A-Za-z0-9_.-]{1,15}$/;

/** libnetwork's Network.CreateEndpoint; the name is unique in its network, checked in the transaction. */
function planCreate(s: State, n: NetworkRecord, req: NewEndpoint, ctx: DecideContext, connect?: string): NewEvent[] {
  validateName("endpoint", req.name);
  for (const a of req.aliases) validateName("alias", a);
  if (req.ifname !== undefined && !ifnamePattern.test(req.ifname))
    throw invalid(`interface name "${req.ifname}" is not usable: 1 to 15 letters, digits, "_", "." or "-"`);
  checkDriverOpts(req.driverOpts);
  for (const p of req.ports)
    if (p.hostIp !== "" && !isIP(p.hostIp)) throw invalid(`published port ${p.hostPort}:${p.port}: host IP "${p.hostIp}" is not an IP address`);
  if (C.has(s.endpointNames, `${n.id}/${req.name}`))
    throw conflict(`endpoint with name ${req.name} already exists in network ${n.name}`);
  if (C.has(s.endpoints, req.id)) throw conflict(`endpoint with id ${req.id} already exists`);
  const fx = lifecycleEffects(ctx, n);
  const ipam = planEndpointIpam(s, n, req, ctx);
  // Recorded only when given, so endpoints without them are recorded (and hashed) as before.
  const driverOpts = req.driverOpts && Object.keys(req.driverOpts).length > 0 ? { driverOpts: { ...req.driverOpts } } : {};
  const ep = {
    id: req.id,
    ipv4: ipam.ipv4,
    ipv6: ipam.ipv6,
    mac: ipam.mac,
    ports: req.ports,
    aliases: req.aliases,
    ...driverOpts,
  };
  const events: NewEvent[] = [
    ...ipam.events,
    {
      type: "endpoint.created",
      stream: req.id,
      data: {
        id: req.id,
        network: n.id,
        name: req.name,
        ipv4: ep.ipv4,
        ipv6: ep.ipv6,
        mac: ep.mac,
        gateway: ipam.gateway,
        gateway6: ipam.gateway6,
        ports: req.ports,
        aliases: req.aliases,
        pending: fx,
        ...(connect !== undefined ? { connect } : {}),
        ...(req.ifname !== undefined ? { ifname: req.ifname } : {}),
        ...driverOpts,
      },
    },
  ];
  // The driver's CreateEndpoint follows the addresses: at once, or once an IPAM driver has answered.
  if (ipam.request) events.push(ipam.request);
  else if (fx) events.push(requestEffect(ctx, n.driver, "createEndpoint", req.id, endpointArgs(n, ep)));
  return events;
}

export function createEndpoint(s: State, cmd: CommandOf<"endpoint.create">, ctx: DecideContext): Decision {
  const n = activeNetwork(s, cmd.network);
  return { events: planCreate(s, n, cmd, ctx), entity: { kind: "endpoint", id: cmd.id } };
}

/** libnetwork's Endpoint.Join: the endpoint must be created and idle, the sandbox ready (or see joinable.ts). */
export function planJoin(s: State, n: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, ctx: DecideContext): NewEvent[] {
  if (ep.sandbox === sb.id && ep.lifecycle === "joined")
    throw forbidden(`${label("endpoint", ep.name, ep.id)} is already joined to sandbox ${shortId(sb.id)}`);
  if (ep.sandbox !== null)
    throw forbidden(`${label("endpoint", ep.name, ep.id)} is already joined to sandbox ${shortId(ep.sandbox)}; leave it first`);
  assertIdle(s, ep.id, label("endpoint", ep.name, ep.id), ep.lifecycle);
  if (!canStep(endpointMachine, ep.lifecycle, "JOIN"))
    throw illegalState(`${label("endpoint", ep.name, ep.id)} is ${ep.lifecycle}; only a created endpoint can join`);
  if (!joinable(s, sb))
    throw illegalState(`sandbox ${shortId(sb.id)} is ${sb.lifecycle}; only a ready sandbox can be joined`);
  if (sb.endpoints.some((id) => C.get(s.endpoints, id)?.network === n.id))
    throw forbidden(`sandbox ${shortId(sb.id)} already has an endpoint on network ${n.name}`);
  const fx = sideEffects(ctx, n.driver);
  const events: NewEvent[] = [{ type: "endpoint.joined", stream: ep.id, data: { id: ep.id, sandbox: sb.id, pending: fx } }];
  if (fx) events.push(requestEffect(ctx, n.driver, "join", ep.id, joinArgs(n, ep, sb)));
  return events;
}

export function join(s: State, cmd: CommandOf<"endpoint.join">, ctx: DecideContext): Decision {
  const n = resolveNetwork(s, cmd.network);
  const ep = resolveEndpoint(s, n, cmd.endpoint);
  const sb = resolveSandbox(s, cmd.sandbox);
  return { events: planJoin(s, n, ep, sb, ctx), entity: { kind: "endpoint", id: ep.id } };
}

/** What a removal step carries: the error of a command that could not go on, for its clean-up call. */
interface RemovalOptions {
  failure?: ErrorInfo;
}

/** libnetwork's Endpoint.Leave; with `remove` the endpoint is deleted once it has left. */
function planLeave(
  s: State,
  n: NetworkRecord,
  ep: EndpointRecord,
  ctx: DecideContext,
  remove = false,
  opts: RemovalOptions = {},
): NewEvent[] {
  if (ep.sandbox === null) throw illegalState(`${label("endpoint", ep.name, ep.id)} is not joined to any sandbox`);
  assertIdle(s, ep.id, label("endpoint", ep.name, ep.id), ep.lifecycle);
  if (!canStep(endpointMachine, ep.lifecycle, "LEAVE"))
    throw illegalState(`${label("endpoint", ep.name, ep.id)} is ${ep.lifecycle}; only a joined endpoint can leave`);
  const fx = sideEffects(ctx, n.driver);
  const sb = C.get(s.sandboxes, ep.sandbox)!;
  const events: NewEvent[] = [
    {
      type: "endpoint.left",
      stream: ep.id,
      data: { id: ep.id, sandbox: ep.sandbox, pending: fx, ...(remove ? { remove: true } : {}) },
    },
  ];
  if (fx) events.push(requestEffect(ctx, n.driver, "leave", ep.id, { ...joinArgs(n, ep, sb), joinInfo: ep.joinInfo }, opts));
  else if (remove) events.push(...planDelete(s, n, ep, ctx, true, opts));
  return events;
}

export function leave(s: State, cmd: CommandOf<"endpoint.leave">, ctx: DecideContext): Decision {
  const n = resolveNetwork(s, cmd.network);
  const ep = resolveEndpoint(s, n, cmd.endpoint);
  const sb = resolveSandbox(s, cmd.sandbox);
  if (ep.sandbox !== sb.id)
    throw illegalState(`${label("endpoint", ep.name, ep.id)} is not joined to sandbox ${shortId(sb.id)}`);
  return { events: planLeave(s, n, ep, ctx), entity: { kind: "endpoint", id: ep.id } };
}

/** The DeleteEndpoint step; `afterLeave` when the endpoint is known to leave in the same decision. */
function planDelete(
  s: State,
  n: NetworkRecord,
  ep: EndpointRecord,
  ctx: DecideContext,
  afterLeave = false,
  opts: RemovalOptions = {},
): NewEvent[] {
  if (!afterLeave) {
    assertIdle(s, ep.id, label("endpoint", ep.name, ep.id), ep.lifecycle);
    if (!canStep(endpointMachine, ep.lifecycle, "DELETE"))
      throw illegalState(`${label("endpoint", ep.name, ep.id)} is ${ep.lifecycle}; it cannot be deleted now`);
  }
  const fx = lifecycleEffects(ctx, n);
  const events: NewEvent[] = [{ type: "endpoint.deleted", stream: ep.id, data: { id: ep.id, pending: fx } }];
  // libnetwork releases the addresses after DeleteEndpoint: now, or once its outcome is in (outcome.ts).
  if (fx) events.push(requestEffect(ctx, n.driver, "deleteEndpoint", ep.id, { networkId: n.id, endpointId: ep.id }, opts));
  else events.push(...planReleases(ctx, n, ep.id, endpointReleases(n, ep)));
  return events;
}

/**
 * Removes an endpoint whatever it is doing, for forced deletes of its network or sandbox: a joined one
 * leaves first and is deleted after. An endpoint with a driver call in flight is not touched: its
 * outcome is owed first, so the force waits (Conflict) rather than forgetting a call the driver may act on.
 */
export function planEndpointRemoval(s: State, ep: EndpointRecord, ctx: DecideContext, opts: RemovalOptions = {}): NewEvent[] {
  const n = C.get(s.networks, ep.network)!;
  assertIdle(s, ep.id, label("endpoint", ep.name, ep.id), ep.lifecycle);
  if (ep.sandbox !== null && ep.lifecycle === "joined") return planLeave(s, n, ep, ctx, true, opts);
  return planDelete(s, n, ep, ctx, false, opts);
}

export function deleteEndpoint(s: State, cmd: CommandOf<"endpoint.delete">, ctx: DecideContext): Decision {
  const n = resolveNetwork(s, cmd.network);
  const ep = resolveEndpoint(s, n, cmd.endpoint);
  if (ep.sandbox !== null && !cmd.force)
    throw forbidden(
      `${label("endpoint", ep.name, ep.id)} is joined to sandbox ${shortId(ep.sandbox)}; leave it first or use --force`,
    );
  return { events: planEndpointRemoval(s, ep, ctx), entity: { kind: "endpoint", id: ep.id } };
}

/**
 * `network connect`: an endpoint named after the sandbox's container id, created and joined. With a
 * driver that has side effects the join is requested once CreateEndpoint has succeeded (decideOutcome).
 */
export function connect(s: State, cmd: CommandOf<"network.connect">, ctx: DecideContext): Decision {
  const n = activeNetwork(s, cmd.network);
  const sb = resolveSandbox(s, cmd.sandbox);
  if (!joinable(s, sb)) throw illegalState(`sandbox ${shortId(sb.id)} is ${sb.lifecycle}; only a ready sandbox can be connected`);
  if (sb.endpoints.some((id) => C.get(s.endpoints, id)?.network === n.id))
    throw forbidden(`sandbox ${shortId(sb.id)} (container ${sb.containerId}) is already connected to network ${n.name}`);
  const req = { id: cmd.id, name: sb.containerId, ip: cmd.ip, ip6: cmd.ip6, mac: cmd.mac, ports: cmd.ports, aliases: cmd.aliases, ifname: cmd.ifname, driverOpts: cmd.driverOpts };
  const events = planCreate(s, n, req, ctx, sb.id);
  if (!lifecycleEffects(ctx, n)) {
    events.push({ type: "endpoint.joined", stream: cmd.id, data: { id: cmd.id, sandbox: sb.id, pending: false } });
  }
  return { events, entity: { kind: "endpoint", id: cmd.id } };
}

/** `network disconnect`: the sandbox's endpoint on that network leaves and is deleted. */
export function disconnect(s: State, cmd: CommandOf<"network.disconnect">, ctx: DecideContext): Decision {
  const n = resolveNetwork(s, cmd.network);
  const sb = resolveSandbox(s, cmd.sandbox);
  const ep = sb.endpoints.map((id) => C.get(s.endpoints, id)!).find((e) => e.network === n.id);
  if (!ep) throw notFound(`sandbox ${shortId(sb.id)} (container ${sb.containerId}) is not connected to network ${n.name}`);
  return { events: planEndpointRemoval(s, ep, ctx), entity: { kind: "endpoint", id: ep.id } };
}
