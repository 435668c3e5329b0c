import * as A from "./allocator.js";
import type { Allocator } from "./allocator.js";
import { addressAt, contains, type Family, type Ip, ipText, knownSubnet, reservedRole, sizeOf, type Subnet, tryParseIp } from "./address.js";
import { digitsOf, has, ordinalOf } from "./bitmap.js";

/**
 * A pool a network holds: libnetwork's PoolData plus what was requested from it for the network itself
 * (gateway, auxiliary addresses). Pools of the built-in default IPAM carry an allocator; a pool of any
 * other IPAM driver is the driver's to manage, so it carries none and netledger only records what the
 * driver answered.
 */
export interface PoolRecord {
  /** The IPAM driver's pool id (the default IPAM's is `AddressSpace/Subnet[/Range]`, as libnetwork's). */
  id: string;
  driver: string;
  addressSpace: string;
  family: Family;
  /** Canonical CIDR. */
  subnet: string;
  ipRange: string | null;
  gateway: string | null;
  /** Auxiliary addresses: name → address, reserved and never handed out. */
  aux: Record<string, string>;
  /** What the driver said about the pool (RequestPool's Data). */
  data: Record<string, string>;
  allocator: Allocator | null;
}

export function defaultPoolId(addressSpace: string, subnet: string, ipRange: string | null): string {
  return ipRange ? `${addressSpace}/${subnet}/${ipRange}` : `${addressSpace}/${subnet}`;
}

/**
 * The default IPAM's allocator for a subnet: the network address, and for IPv4 the broadcast address,
 * are taken from the start (libnetwork's insertBitMask), and dynamic allocation draws from the
 * --ip-range when there is one.
 */
export function newPoolAllocator(subnet: Subnet, ipRange: Subnet | null): Allocator {
  const size = sizeOf(subnet);
  const lo = ipRange ? ipRange.network - subnet.network : 0n;
  const hi = ipRange ? lo + sizeOf(ipRange) - 1n : size - 1n;
  const al = A.newAllocator(subnet.hostBits, lo, hi);
  A.claim(al, digitsOf(0n, al.bitmap.levels), false);
  if (subnet.family === 4 && size > 1n) A.claim(al, digitsOf(size - 1n, al.bitmap.levels), false);
  return al;
}

/** The subnet of a pool (parsed once and remembered). */
export const poolSubnet = (p: PoolRecord): Subnet => knownSubnet(p.subnet);

function ordinalDigits(p: PoolRecord, ip: Ip): number[] {
  return digitsOf(ip.value - poolSubnet(p).network, p.allocator!.bitmap.levels);
}

/** Whether an address of the pool's subnet is taken (reserved, gateway, aux or an endpoint's). */
export function isTaken(p: PoolRecord, ip: Ip): boolean {
  return p.allocator !== null && has(p.allocator.bitmap, ordinalDigits(p, ip));
}

/** The address the next dynamic allocation gets, or null when the pool (or its range) is full. */
export function peekAddress(p: PoolRecord): string | null {
  const d = p.allocator && A.peekNext(p.allocator);
  return d ? ipText(addressAt(poolSubnet(p), ordinalOf(d))) : null;
}

/** Marks an address taken in the pool's allocator; throws when it already is (a bug in decide). */
export function claimAddress(p: PoolRecord, address: string, dynamic: boolean): void {
  if (!p.allocator) return;
  const ip = tryParseIp(address);
  if (!ip || !contains(poolSubnet(p), ip)) throw new Error(`address ${address} is not in pool ${p.id}`);
  if (!A.claim(p.allocator, ordinalDigits(p, ip), dynamic)) throw new Error(`address ${address} of pool ${p.id} is already taken`);
}

export function releaseAddress(p: PoolRecord, address: string): void {
  if (!p.allocator) return;
  const ip = tryParseIp(address);
  if (!ip || !contains(poolSubnet(p), ip)) throw new Error(`address ${address} is not in pool ${p.id}`);
  if (reservedRole(poolSubnet(p), ip)) throw new Error(`address ${address} is the ${reservedRole(poolSubnet(p), ip)} of pool ${p.id}`);
  if (!A.release(p.allocator, ordinalDigits(p, ip))) throw new Error(`address ${address} of pool ${p.id} is not allocated`);
}

/** The address with the pool's prefix length, as endpoints and drivers show it (`10.0.0.2/24`). */
export function withPrefix(p: PoolRecord, address: string): string {
  return `${address}/${poolSubnet(p).prefix}`;
}

export { type PoolUsage, poolUsage } from "./usage.js";
