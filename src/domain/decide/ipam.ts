import * as C from "../collection.js";
import { conflict, exhausted, invalid, notFound } from "../errors.js";
import type { IpamRole, NewEvent } from "../events.js";
import { shortId } from "../ids.js";
import { contains, type Family, formatIp, type Ip, ipText, parseIp, reservedRole, subnetOf, tryParseIp } from "../ipam/address.js";
import { poolRequests, type PoolRequest } from "../ipam/config.js";
import { defaultIpam, describeDefaults, firstFreeDefaultPool, globalAddressSpace, localAddressSpace, nullIpam } from "../ipam/defaults.js";
import { isTaken, peekAddress, type PoolRecord, poolSubnet, withPrefix, defaultPoolId } from "../ipam/pool.js";
import { findOverlap } from "../ipam/subnets.js";
import type { EffectRecord, EndpointRecord, NetworkRecord, State } from "../state.js";
import type { DecideContext, IpamDriverInfo } from "./context.js";
import { requestEffect } from "./effect.js";
import { preview } from "./preview.js";

/**
 * IPAM in decide: what a network or endpoint requests and releases, as events. The built-in default
 * IPAM is pure and decided here in full (libnetwork's ipam.Allocator over the state). Any other IPAM
 * driver is asked through effects, one call at a time per entity, in libnetwork's order: for a
 * network each pool, then its gateway, then its auxiliary addresses, then the driver's CreateNetwork;
 * for an endpoint its IPv4 then IPv6 address, then CreateEndpoint; releases on delete. Each answer
 * becomes an ipam.* event and the next call is planned from it (`ipamContinuation`).
 */

/** libnetwork's netlabel keys that IPAM requests and answers use. */
export const gatewayLabel = "com.docker.network.gateway";
export const requestAddressTypeLabel = "RequestAddressType";
export const macAddressLabel = "com.docker.network.endpoint.macaddress";

const builtin: Record<string, IpamDriverInfo> = {
  [defaultIpam]: {
    name: defaultIpam,
    sideEffects: false,
    localAddressSpace,
    globalAddressSpace,
    requiresMacAddress: false,
  },
  [nullIpam]: { name: nullIpam, sideEffects: false, localAddressSpace: "null", globalAddressSpace: "null", requiresMacAddress: false },
};

export function ipamInfo(ctx: DecideContext, name: string): IpamDriverInfo | undefined {
  return builtin[name] ?? ctx.ipamDrivers?.[name];
}

export function requireIpam(ctx: DecideContext, name: string): IpamDriverInfo {
  const info = ipamInfo(ctx, name);
  if (!info)
    throw notFound(`IPAM driver "${name}" is not registered: the built-in ones are "default" and "null", and no plugin by that name is known`);
  return info;
}

/**
 * Whether the network's IPAM calls are effects. A driver that is not registered any more counts as
 * none: releases are then recorded without a call, as libnetwork logs and goes on when it cannot
 * reach the IPAM driver on delete.
 */
export function ipamHasEffects(ctx: DecideContext, n: Pick<NetworkRecord, "ipam">): boolean {
  return ipamInfo(ctx, n.ipam.driver)?.sideEffects ?? false;
}

const spaceOf = (info: IpamDriverInfo, scope: "local" | "global"): string =>
  scope === "global" ? info.globalAddressSpace : info.localAddressSpace;

const networkLabel = (s: State, id: string): string => {
  const n = C.get(s.networks, id);
  return n ? `${n.name} (${shortId(id)})` : shortId(id);
};

// ------------------------------------------------------------------ effect arguments

/** A release owed to an IPAM driver: an address of a pool, or the pool itself. */
export interface ReleaseStep {
  op: "releaseAddress" | "releasePool";
  network: string;
  driver: string;
  pool: string;
  owner: string;
  address?: string;
  role?: IpamRole;
  name?: string;
}

/** The arguments of an IPAM effect: the driver's request, and what decide needs to record its answer. */
export interface IpamEffectArgs {
  /** The request as the driver receives it (ipamapi's arguments). */
  request: Record<string, unknown>;
  network: string;
  owner: string;
  family?: Family;
  role?: IpamRole | "pool";
  name?: string;
  /** requestPool: the user gave a gateway, so a gateway in the pool's data is not taken. */
  userGateway?: boolean;
  /** requestAddress for an endpoint's IPv4 address: the IPv6 address it asked for, requested next. */
  preferred6?: string;
  /** Releases: this one, and those still owed after it (a chain, one call at a time). */
  step?: ReleaseStep;
  rest?: ReleaseStep[];
}

// ------------------------------------------------------------------ networks

/**
 * The IPAM part of creating network `n` (already in the state `s` as created): with the default IPAM
 * the pools, gateways and auxiliary addresses as events; with a driver that has effects its first
 * request (the rest follow its answers); nothing with the null IPAM. Bad configuration is refused here.
 */
export function planNetworkIpam(s: State, n: NetworkRecord, ctx: DecideContext): NewEvent[] {
  const info = requireIpam(ctx, n.ipam.driver);
  if (info.name === nullIpam) return [];
  const requests = poolRequests(n.ipam.config, n.ipv6);
  if (info.sideEffects) return [nextNetworkRequest(n, ctx)!];
  return allocateNetwork(s, n, requests, spaceOf(info, n.scope));
}

function allocateNetwork(s: State, n: NetworkRecord, requests: PoolRequest[], space: string): NewEvent[] {
  const events: NewEvent[] = [];
  for (const r of requests) {
    let subnet = r.subnet;
    if (subnet === null) {
      if (r.family === 6)
        throw invalid(`IPv6 on a network of the default IPAM needs an IPv6 --subnet: the default IPAM has no default IPv6 pools`);
      subnet = firstFreeDefaultPool(s.ipamSubnets, space) ?? null;
      if (subnet === null)
        throw exhausted(`no default address pool is free in ${space} (${describeDefaults(space)} are all in use); give the network a --subnet`);
    } else {
      const other = findOverlap(s.ipamSubnets, space, subnet);
      if (other)
        throw conflict(
          other.subnet === subnet.cidr
            ? `subnet ${subnet.cidr} is already used by network ${networkLabel(s, other.network)}`
            : `subnet ${subnet.cidr} overlaps subnet ${other.subnet} of network ${networkLabel(s, other.network)}`,
          { network: other.network, subnet: other.subnet },
        );
    }
    const pool = defaultPoolId(space, subnet.cidr, r.ipRange?.cidr ?? null);
    const common = { network: n.id, driver: defaultIpam, pool };
    events.push({
      type: "ipam.pool.requested",
      stream: n.id,
      data: { ...common, addressSpace: space, family: r.family, subnet: subnet.cidr, ipRange: r.ipRange?.cidr ?? null, data: {} },
    });
    // libnetwork asks for the gateway first: the user's, or the first host address of the subnet.
    const gateway = r.gateway ?? { family: r.family, value: subnet.network + 1n };
    events.push(addressEvent(common, n.id, ipText(gateway), "gateway", false));
    for (const a of r.aux) events.push(addressEvent(common, n.id, ipText(a.ip), "aux", false, a.name));
  }
  return events;
}

function addressEvent(
  common: { network: string; driver: string; pool: string },
  owner: string,
  address: string,
  role: IpamRole,
  dynamic: boolean,
  name?: string,
): NewEvent {
  return {
    type: "ipam.address.requested",
    stream: owner,
    data: { ...common, address, owner, role, dynamic, ...(name !== undefined ? { name } : {}) },
  };
}

/**
 * The next call a driver with effects owes network `n` while it is created: a pool, then the pool's
 * gateway (unless the driver named one in the pool's data), then its auxiliary addresses, pool by
 * pool; null once the network has everything.
 */
export function nextNetworkRequest(n: NetworkRecord, ctx: DecideContext): NewEvent | null {
  const info = requireIpam(ctx, n.ipam.driver);
  const requests = poolRequests(n.ipam.config, n.ipv6);
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    const p = n.pools[i];
    const base = { network: n.id, owner: n.id, family: r.family };
    if (!p) {
      const request = {
        addressSpace: spaceOf(info, n.scope),
        pool: r.subnet?.cidr ?? "",
        subPool: r.ipRange?.cidr ?? "",
        options: n.ipam.options,
        v6: r.family === 6,
      };
      return requestEffect(ctx, info.name, "requestPool", n.id, { ...base, role: "pool", request, userGateway: r.gateway !== null });
    }
    if (p.gateway === null) {
      const request = { poolId: p.id, address: r.gateway ? ipText(r.gateway) : "", options: { [requestAddressTypeLabel]: gatewayLabel } };
      return requestEffect(ctx, info.name, "requestAddress", n.id, { ...base, role: "gateway", request });
    }
    const aux = r.aux.find((a) => !(a.name in p.aux));
    if (aux) {
      const request = { poolId: p.id, address: ipText(aux.ip), options: {} };
      return requestEffect(ctx, info.name, "requestAddress", n.id, { ...base, role: "aux", name: aux.name, request });
    }
  }
  return null;
}

/** What a network driver's CreateNetwork is told of the pools (libnetwork's IPAMData: prefix lengths kept). */
export function ipamData(n: NetworkRecord): { ipv4Data: IpamData[]; ipv6Data: IpamData[] } {
  const data = (p: PoolRecord): IpamData => ({
    addressSpace: p.addressSpace,
    pool: p.subnet,
    ...(p.gateway ? { gateway: withPrefix(p, p.gateway) } : {}),
    ...(Object.keys(p.aux).length
      ? { auxAddresses: Object.fromEntries(Object.entries(p.aux).map(([k, v]) => [k, withPrefix(p, v)])) }
      : {}),
  });
  return { ipv4Data: n.pools.filter((p) => p.family === 4).map(data), ipv6Data: n.pools.filter((p) => p.family === 6).map(data) };
}

export interface IpamData {
  addressSpace: string;
  pool: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

/** Everything a network holds, in libnetwork's release order: each pool's gateway, its aux addresses, the pool. */
export function networkReleases(n: NetworkRecord): ReleaseStep[] {
  const steps: ReleaseStep[] = [];
  for (const p of n.pools) {
    const base = { network: n.id, driver: p.driver, pool: p.id, owner: n.id };
    if (p.gateway !== null) steps.push({ ...base, op: "releaseAddress", address: p.gateway, role: "gateway" });
    for (const name of Object.keys(p.aux).sort())
      steps.push({ ...base, op: "releaseAddress", address: p.aux[name]!, role: "aux", name });
    steps.push({ ...base, op: "releasePool" });
  }
  return steps;
}

// ------------------------------------------------------------------ endpoints

export interface EndpointAddressing {
  /** Address events, before endpoint.created (default IPAM). */
  events: NewEvent[];
  /** The first request to a driver with effects, after endpoint.created. */
  request: NewEvent | null;
  ipv4: string | null;
  ipv6: string | null;
  gateway: string | null;
  gateway6: string | null;
  mac: string | null;
}

export interface AddressRequest {
  id: string;
  ip?: string | undefined;
  ip6?: string | undefined;
  mac?: string | undefined;
}

/**
 * The addresses of a new endpoint (libnetwork's Endpoint.assignAddress): IPv4 if the network has an
 * IPv4 pool, IPv6 if it has an IPv6 one; a requested address must lie in one of the network's subnets
 * and be free; otherwise the next free address after the last one handed out, pool by pool.
 */
export function planEndpointIpam(s: State, n: NetworkRecord, req: AddressRequest, ctx: DecideContext): EndpointAddressing {
  const info = requireIpam(ctx, n.ipam.driver);
  const out: EndpointAddressing = { events: [], request: null, ipv4: null, ipv6: null, gateway: null, gateway6: null, mac: req.mac ?? null };
  const v4 = poolFor(n, 4, req.ip);
  const v6 = poolFor(n, 6, req.ip6);
  if (info.sideEffects) {
    // A driver that wants the MAC gets one now; derived from the endpoint id so that decide stays pure.
    if (info.requiresMacAddress && out.mac === null) out.mac = macFor(req.id);
    const ep = { id: req.id, ipv4: null, ipv6: null, mac: out.mac };
    out.request = nextEndpointRequest(n, ep, { v4: req.ip, v6: req.ip6 }, ctx);
    return out;
  }
  for (const choice of [v4, v6]) {
    if (!choice) continue;
    const { pool, address } = choice.ip ? staticAddress(s, n, choice.pool, choice.ip) : nextAddress(n, choice.family);
    out.events.push(addressEvent({ network: n.id, driver: pool.driver, pool: pool.id }, req.id, address, "endpoint", !choice.ip));
    if (pool.family === 4) [out.ipv4, out.gateway] = [withPrefix(pool, address), pool.gateway];
    else [out.ipv6, out.gateway6] = [withPrefix(pool, address), pool.gateway];
  }
  return out;
}

interface PoolChoice {
  family: Family;
  pool: PoolRecord;
  ip: Ip | null;
}

/** The pool an endpoint's address of a family comes from (the one holding the requested address), or null. */
function poolFor(n: NetworkRecord, family: Family, preferred: string | undefined): PoolChoice | null {
  const flag = family === 4 ? "--ip" : "--ip6";
  const pools = n.pools.filter((p) => p.family === family);
  if (preferred === undefined) return pools.length ? { family, pool: pools[0]!, ip: null } : null;
  const ip = parseIp(preferred, flag);
  if (ip.family !== family) throw invalid(`${flag} ${preferred} is not an IPv${family} address`);
  if (pools.length === 0) throw invalid(`network ${n.name} has no IPv${family} subnet, so ${flag} cannot be used on it`);
  const pool = pools.find((p) => contains(poolSubnet(p), ip));
  if (!pool)
    throw invalid(`${flag} ${ipText(ip)} is not in any IPv${family} subnet of network ${n.name} (${pools.map((p) => p.subnet).join(", ")})`);
  // Whatever the IPAM driver, the network and broadcast addresses are nobody's (libnetwork's bitmask).
  const role = reservedRole(poolSubnet(pool), ip);
  if (role) throw invalid(`${flag} ${ipText(ip)} is the ${role} of subnet ${pool.subnet}; it is never assigned`);
  return { family, pool, ip };
}

function staticAddress(s: State, n: NetworkRecord, pool: PoolRecord, ip: Ip): { pool: PoolRecord; address: string } {
  const flag = ip.family === 4 ? "--ip" : "--ip6";
  const address = ipText(ip);
  if (pool.gateway === address) throw conflict(`${flag} ${address} is the gateway of network ${n.name}`);
  const aux = Object.keys(pool.aux).find((k) => pool.aux[k] === address);
  if (aux !== undefined) throw conflict(`${flag} ${address} is reserved as auxiliary address ${aux} of network ${n.name}`);
  if (isTaken(pool, ip)) throw conflict(`${flag} ${address} is already in use by ${holderOf(s, n, address)} in network ${n.name}`);
  return { pool, address };
}

/** Who holds an address (read only on the error path: it looks through the network's endpoints). */
function holderOf(s: State, n: NetworkRecord, address: string): string {
  for (const id of C.keys(n.endpoints)) {
    const ep = C.get(s.endpoints, id);
    if (ep && [ep.ipv4, ep.ipv6].some((a) => a !== null && a.slice(0, a.indexOf("/")) === address))
      return `endpoint ${ep.name} (${shortId(ep.id)})`;
  }
  return "another endpoint";
}

function nextAddress(n: NetworkRecord, family: Family): { pool: PoolRecord; address: string } {
  const pools = n.pools.filter((p) => p.family === family);
  for (const pool of pools) {
    const address = peekAddress(pool);
    if (address !== null) return { pool, address };
  }
  const where = pools.map((p) => (p.ipRange ? `range ${p.ipRange} of subnet ${p.subnet}` : `subnet ${p.subnet}`)).join(", ");
  throw exhausted(
    `no free IPv${family} address left in network ${n.name}: ${where} ${pools.length > 1 ? "are" : "is"} full; remove an endpoint or create the network with a larger subnet`,
    { network: n.id },
  );
}

/** A locally administered MAC from the endpoint id (libnetwork generates a random one; ids are random). */
export function macFor(id: string): string {
  return ["02", "42", id.slice(0, 2), id.slice(2, 4), id.slice(4, 6), id.slice(6, 8)].join(":");
}

/** The next address a driver with effects owes an endpoint being created (IPv4, then IPv6), or null. */
export function nextEndpointRequest(
  n: NetworkRecord,
  ep: Pick<EndpointRecord, "id" | "ipv4" | "ipv6" | "mac">,
  preferred: { v4?: string | undefined; v6?: string | undefined },
  ctx: DecideContext,
): NewEvent | null {
  const info = requireIpam(ctx, n.ipam.driver);
  const options = info.requiresMacAddress && ep.mac ? { [macAddressLabel]: ep.mac } : {};
  for (const family of [4, 6] as const) {
    if ((family === 4 ? ep.ipv4 : ep.ipv6) !== null) continue;
    const choice = poolFor(n, family, family === 4 ? preferred.v4 : preferred.v6);
    if (!choice) continue;
    const request = { poolId: choice.pool.id, address: choice.ip ? ipText(choice.ip) : "", options };
    return requestEffect(ctx, info.name, "requestAddress", ep.id, {
      network: n.id,
      owner: ep.id,
      family,
      role: "endpoint",
      request,
      ...(family === 4 && preferred.v6 !== undefined ? { preferred6: preferred.v6 } : {}),
    });
  }
  return null;
}

/** The addresses an endpoint holds from its network's pools (not ones its driver supplied with no IPAM). */
export function endpointReleases(n: NetworkRecord | undefined, ep: EndpointRecord): ReleaseStep[] {
  const steps: ReleaseStep[] = [];
  if (!n) return steps;
  for (const cidr of [ep.ipv4, ep.ipv6]) {
    const ip = cidr === null ? undefined : tryParseIp(cidr.slice(0, cidr.indexOf("/")));
    const pool = ip && n.pools.find((p) => contains(poolSubnet(p), ip));
    if (ip && pool)
      steps.push({ op: "releaseAddress", network: n.id, driver: pool.driver, pool: pool.id, owner: ep.id, address: ipText(ip), role: "endpoint" });
  }
  return steps;
}

// ------------------------------------------------------------------ releases

export function releaseEvent(step: ReleaseStep): NewEvent {
  if (step.op === "releasePool")
    return { type: "ipam.pool.released", stream: step.network, data: { network: step.network, driver: step.driver, pool: step.pool } };
  return {
    type: "ipam.address.released",
    stream: step.owner,
    data: {
      network: step.network,
      driver: step.driver,
      pool: step.pool,
      address: step.address!,
      owner: step.owner,
      role: step.role!,
      ...(step.name !== undefined ? { name: step.name } : {}),
    },
  };
}

function releaseEffect(ctx: DecideContext, resource: string, step: ReleaseStep, rest: ReleaseStep[]): NewEvent {
  const request = step.op === "releasePool" ? { poolId: step.pool } : { poolId: step.pool, address: step.address! };
  return requestEffect(ctx, step.driver, step.op, resource, { network: step.network, owner: step.owner, request, step, rest });
}

/**
 * Releases owed by `resource` (a network or an endpoint): events at once when the IPAM is pure (or gone),
 * or a chain of driver calls, one at a time, each recorded as its answer comes back.
 */
export function planReleases(ctx: DecideContext, n: Pick<NetworkRecord, "ipam"> | undefined, resource: string, steps: ReleaseStep[]): NewEvent[] {
  if (steps.length === 0) return [];
  if (n && ipamHasEffects(ctx, n)) return [releaseEffect(ctx, resource, steps[0]!, steps.slice(1))];
  return steps.map(releaseEvent);
}

// ------------------------------------------------------------------ outcomes of IPAM effects

/** What follows an IPAM effect's chain: the entity's driver call, or the end of a network's releases. */
export type IpamNext =
  | { kind: "networkReady"; network: string }
  | { kind: "endpointReady"; endpoint: string }
  | { kind: "networkReleased"; network: string };

export interface RequestPoolAnswer {
  poolId: string;
  pool: string;
  data: Record<string, string>;
}

/**
 * An IPAM driver's answer checked against what was asked (plugin-protocol §7): a malformed answer is a
 * failure of the call, never a crash or a bad event. Returns the answer in canonical form, or why not.
 */
export function checkIpamAnswer(s: State, fx: EffectRecord, result: unknown): { answer: unknown } | { error: string } {
  const a = fx.args as unknown as IpamEffectArgs;
  const r = (typeof result === "object" && result !== null ? result : {}) as Record<string, unknown>;
  const data = isStringMap(r["data"]) ? r["data"] : {};
  if (fx.op === "requestPool") {
    if (typeof r["poolId"] !== "string" || r["poolId"] === "") return { error: `RequestPool returned no pool id` };
    const [host, prefix] = typeof r["pool"] === "string" ? r["pool"].split("/") : [];
    const ip = host === undefined ? undefined : tryParseIp(host);
    const len = Number(prefix);
    if (!ip || !/^\d{1,3}$/.test(prefix ?? "") || len > (ip.family === 4 ? 32 : 128))
      return { error: `RequestPool returned "${String(r["pool"])}", which is not a subnet in CIDR form` };
    if (ip.family !== a.family) return { error: `RequestPool returned ${String(r["pool"])} for an IPv${a.family} request` };
    if (C.get(s.networks, a.network)?.pools.some((p) => p.id === r["poolId"]))
      return { error: `RequestPool returned pool id ${r["poolId"]} again for the same network` };
    return { answer: { poolId: r["poolId"], pool: subnetOf(ip.family, ip.value, len).cidr, data } satisfies RequestPoolAnswer };
  }
  if (fx.op === "requestAddress") {
    const text = typeof r["address"] === "string" ? r["address"] : "";
    if (text === "") return { error: `RequestAddress returned no address` };
    const ip = tryParseIp(text.includes("/") ? text.slice(0, text.indexOf("/")) : text);
    if (!ip) return { error: `RequestAddress returned "${text}", which is not an address` };
    if (ip.family !== a.family) return { error: `RequestAddress returned ${text} for an IPv${a.family} request` };
    return { answer: { address: formatIp(ip.family, ip.value), data } };
  }
  return { answer: result };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
}

/**
 * What follows the outcome of an IPAM effect, planned on the state `s` with the outcome folded: the
 * answer as an ipam.* event and the next call of the chain, or what the chain was for (`next`). A
 * failed request is compensated elsewhere (outcome.ts); a failed release is recorded as done, since
 * libnetwork only logs it.
 */
export function ipamContinuation(
  s: State,
  fx: EffectRecord,
  ok: boolean,
  answer: unknown,
  ctx: DecideContext,
): { events: NewEvent[]; next: IpamNext | null } {
  const a = fx.args as unknown as IpamEffectArgs;
  switch (fx.op) {
    case "releaseAddress":
    case "releasePool": {
      const events = [releaseEvent(a.step!)];
      const rest = a.rest ?? [];
      if (rest.length > 0) events.push(releaseEffect(ctx, fx.resource, rest[0]!, rest.slice(1)));
      return { events, next: rest.length === 0 && fx.resource === a.network ? { kind: "networkReleased", network: a.network } : null };
    }
    case "requestPool": {
      const n = C.get(s.networks, a.network);
      if (!ok || !n || n.lifecycle !== "creating") return { events: [], next: null };
      const r = answer as RequestPoolAnswer;
      const common = { network: n.id, driver: fx.driver, pool: r.poolId };
      const req = a.request as { addressSpace: string; subPool: string };
      const events: NewEvent[] = [
        {
          type: "ipam.pool.requested",
          stream: n.id,
          data: { ...common, addressSpace: req.addressSpace, family: a.family!, subnet: r.pool, ipRange: req.subPool || null, data: r.data },
        },
      ];
      // A gateway in the pool's data is the pool's, unless the user gave one (libnetwork's ipamAllocateVersion).
      const gw = r.data[gatewayLabel];
      const gwIp = gw === undefined || a.userGateway ? undefined : tryParseIp(gw.split("/")[0]!);
      if (gwIp && gwIp.family === a.family) events.push(addressEvent(common, n.id, ipText(gwIp), "gateway", false));
      return networkStep(s, n.id, events, ctx);
    }
    case "requestAddress": {
      if (!ok) return { events: [], next: null };
      const address = (answer as { address: string }).address;
      const req = a.request as { poolId: string; address: string };
      const common = { network: a.network, driver: fx.driver, pool: req.poolId };
      const events = [addressEvent(common, a.owner, address, a.role as IpamRole, req.address === "", a.name)];
      if (a.role !== "endpoint") return networkStep(s, a.network, events, ctx);
      const after = preview(s, events);
      const ep = C.get(after.endpoints, a.owner);
      const n = C.get(after.networks, a.network);
      if (!ep || !n || ep.lifecycle !== "creating") return { events, next: null };
      const step = nextEndpointRequest(n, ep, { v6: a.preferred6 }, ctx);
      return step ? { events: [...events, step], next: null } : { events, next: { kind: "endpointReady", endpoint: ep.id } };
    }
    default:
      return { events: [], next: null };
  }
}

function networkStep(s: State, network: string, events: NewEvent[], ctx: DecideContext): { events: NewEvent[]; next: IpamNext | null } {
  const n = C.get(preview(s, events).networks, network);
  if (!n || n.lifecycle !== "creating") return { events, next: null };
  const step = nextNetworkRequest(n, ctx);
  return step ? { events: [...events, step], next: null } : { events, next: { kind: "networkReady", network } };
}
