import * as C from "../collection.js";
import { conflict, exhausted, invalid } from "../errors.js";
import { shortId } from "../ids.js";
import type { NewEvent } from "../events.js";
import { contains, type Family, type Ip, ipText, parseIp, reservedRole, tryParseIp } from "../ipam/address.js";
import { isTaken, peekAddress, type PoolRecord, poolSubnet, withPrefix } from "../ipam/pool.js";
import type { EndpointRecord, NetworkRecord, State } from "../state.js";
import type { DecideContext } from "./context.js";
import { requestEffect } from "./effect.js";
import { macAddressLabel, requireIpam } from "./ipamDrivers.js";
import { addressEvent, type ReleaseStep } from "./ipamReleases.js";

/** IPAM for endpoints: their addresses, allocated here or asked of a driver, and what they give back. */

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
  const options: Record<string, string> = info.requiresMacAddress && ep.mac ? { [macAddressLabel]: ep.mac } : {};
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
