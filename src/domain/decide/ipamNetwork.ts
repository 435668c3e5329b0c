import { conflict, exhausted, invalid } from "../errors.js";
import type { NewEvent } from "../events.js";
import { ipText } from "../ipam/address.js";
import { poolRequests, type PoolRequest } from "../ipam/config.js";
import { defaultIpam, describeDefaults, firstFreeDefaultPool, nullIpam } from "../ipam/defaults.js";
import { defaultPoolId, type PoolRecord, withPrefix } from "../ipam/pool.js";
import { findOverlap } from "../ipam/subnets.js";
import type { NetworkRecord, State } from "../state.js";
import type { DecideContext } from "./context.js";
import { requestEffect } from "./effect.js";
import { gatewayLabel, networkLabel, requestAddressTypeLabel, requireIpam, spaceOf } from "./ipamDrivers.js";
import { addressEvent, type ReleaseStep } from "./ipamReleases.js";

/** IPAM for networks: pools, gateways and auxiliary addresses, allocated here or asked of a driver. */

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
