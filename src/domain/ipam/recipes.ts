import * as C from "../collection.js";
import type { EventData } from "../events.js";
import type { EffectRecord, EndpointRecord, NetworkRecord, State } from "../state.js";
import { knownSubnet } from "./address.js";
import { defaultIpam } from "./defaults.js";
import { isIpamRequest } from "../effects/table.js";
import { claimAddress, newPoolAllocator, type PoolRecord, poolUsage, releaseAddress, withPrefix } from "./pool.js";
import { markSubnet, unmarkSubnet } from "./subnets.js";

/**
 * How the ipam.* events change the state: the network's pools, the default IPAM's allocators and
 * subnet index, and the addresses on endpoints. Used by evolve on both paths (an immer draft live, a
 * private mutable state on replay). An event that does not fit the state (an address released twice,
 * a pool released with addresses still allocated) is refused, so replay reports it at its seq.
 */

function networkOf(s: State, id: string): NetworkRecord {
  const n = C.getMut(s.networks, id);
  if (!n) throw new Error(`network ${id} is not in the state`);
  return n;
}

function poolOf(n: NetworkRecord, id: string): PoolRecord {
  const p = n.pools.find((x) => x.id === id);
  if (!p) throw new Error(`network ${n.id} holds no pool ${id}`);
  return p;
}

export function poolRequested(s: State, d: EventData<"ipam.pool.requested">): void {
  const n = networkOf(s, d.network);
  if (n.pools.some((p) => p.id === d.pool)) throw new Error(`network ${n.id} already holds pool ${d.pool}`);
  const subnet = knownSubnet(d.subnet);
  const builtIn = d.driver === defaultIpam;
  n.pools.push({
    id: d.pool,
    driver: d.driver,
    addressSpace: d.addressSpace,
    family: d.family,
    subnet: subnet.cidr,
    ipRange: d.ipRange,
    gateway: null,
    aux: {},
    data: d.data,
    allocator: builtIn ? newPoolAllocator(subnet, d.ipRange ? knownSubnet(d.ipRange) : null) : null,
  });
  if (builtIn) markSubnet(s.ipamSubnets, d.addressSpace, subnet, n.id);
}

export function poolReleased(s: State, d: EventData<"ipam.pool.released">): void {
  const n = networkOf(s, d.network);
  const i = n.pools.findIndex((p) => p.id === d.pool);
  if (i < 0) throw new Error(`network ${n.id} holds no pool ${d.pool}`);
  const p = n.pools[i]!;
  if (p.allocator) {
    const held = poolUsage(p)!.allocated;
    if (held > 0) throw new Error(`pool ${p.id} still has ${held} addresses allocated`);
    unmarkSubnet(s.ipamSubnets, p.addressSpace, knownSubnet(p.subnet));
  }
  n.pools.splice(i, 1);
}

function setEndpointAddress(ep: EndpointRecord, p: PoolRecord, address: string | null): void {
  if (p.family === 4) {
    ep.ipv4 = address === null ? null : withPrefix(p, address);
    ep.gateway = address === null ? null : p.gateway;
  } else {
    ep.ipv6 = address === null ? null : withPrefix(p, address);
    ep.gateway6 = address === null ? null : p.gateway;
  }
}

export function addressRequested(s: State, d: EventData<"ipam.address.requested">): void {
  const p = poolOf(networkOf(s, d.network), d.pool);
  claimAddress(p, d.address, d.dynamic);
  switch (d.role) {
    case "gateway":
      p.gateway = d.address;
      return;
    case "aux":
      p.aux[d.name ?? ""] = d.address;
      return;
    case "endpoint": {
      // With the default IPAM the address is chosen before the endpoint is recorded (endpoint.created
      // carries it); with a driver that has effects it arrives for an endpoint that already exists.
      const ep = C.getMut(s.endpoints, d.owner);
      if (ep) setEndpointAddress(ep, p, d.address);
      return;
    }
  }
}

export function addressReleased(s: State, d: EventData<"ipam.address.released">): void {
  const n = C.getMut(s.networks, d.network);
  const p = n?.pools.find((x) => x.id === d.pool);
  // Another driver's pool may already be gone when an endpoint's release is confirmed: nothing to update.
  if (!p) {
    if (d.driver === defaultIpam) throw new Error(`network ${d.network} holds no pool ${d.pool}`);
    return;
  }
  releaseAddress(p, d.address);
  switch (d.role) {
    case "gateway":
      if (p.gateway === d.address) p.gateway = null;
      return;
    case "aux":
      delete p.aux[d.name ?? ""];
      return;
    case "endpoint": {
      const ep = C.getMut(s.endpoints, d.owner);
      const held = p.family === 4 ? ep?.ipv4 : ep?.ipv6;
      if (ep && held && held.slice(0, held.indexOf("/")) === d.address) setEndpointAddress(ep, p, null);
      return;
    }
  }
}

/**
 * The lifecycle move an IPAM effect's outcome makes, for evolve to apply: a failed request fails the
 * network or endpoint being created; anything else moves nothing (decide plans the next step).
 */
export function ipamOutcomeMove(
  s: State,
  fx: Pick<EffectRecord, "op" | "resource">,
  outcome: "OK" | "FAILED",
): { kind: "network" | "endpoint"; id: string; type: "CREATE_FAILED" } | null {
  if (outcome === "OK" || !isIpamRequest(fx.op)) return null;
  if (C.get(s.networks, fx.resource)?.lifecycle === "creating") return { kind: "network", id: fx.resource, type: "CREATE_FAILED" };
  if (C.get(s.endpoints, fx.resource)?.lifecycle === "creating") return { kind: "endpoint", id: fx.resource, type: "CREATE_FAILED" };
  return null;
}
