import type { Allocator } from "./allocator.js";
import { countOf, countSetIn, ordinalOf } from "./bitmap.js";
import { invalid } from "../errors.js";

/**
 * A pool's usage for the views, apart from pool.ts: it needs only the subnet's family and prefix
 * length, read off the canonical text, so the views every read command builds do not load ip-num
 * (which parses what users and drivers write, and takes about 0.15 s to load here).
 */
export interface PoolUsage {
  id: string;
  addressSpace: string;
  subnet: string;
  ipRange: string | null;
  /** Addresses handed out: gateway, auxiliary addresses and endpoints (not the network/broadcast address). */
  allocated: number;
  /**
   * Addresses dynamic allocation can still hand out: those of the --ip-range (else the subnet) not
   * taken. A number for an IPv4 pool; a decimal string for an IPv6 pool, whose count can pass 2^53,
   * beyond which a JSON number is not exact.
   */
  free: number | string;
}

/**
 * What the usage needs of a pool's subnet: its family and host bits, read off the CIDR text this
 * program wrote (a family-6 address has colons; the prefix length follows the slash).
 */
function subnetOfText(cidr: string): { family: 4 | 6; hostBits: number } {
  const slash = cidr.indexOf("/");
  const family = cidr.includes(":") ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const prefixText = cidr.slice(slash + 1);
  if (slash <= 0 || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits)
    throw invalid(`subnet "${cidr}" is not a subnet in CIDR form (like 10.1.0.0/24 or fd00:1::/64)`);
  return { family, hostBits: bits - Number(prefixText) };
}

/** What the usage reads of a pool (PoolRecord, pool.ts). */
interface UsagePool {
  id: string;
  addressSpace: string;
  subnet: string;
  ipRange: string | null;
  allocator: Allocator | null;
}

/** A default-IPAM pool's usage from its counts: no scan. Null for pools another driver manages. */
export function poolUsage(p: UsagePool): PoolUsage | null {
  const al = p.allocator;
  if (!al) return null;
  const s = subnetOfText(p.subnet);
  const reserved = s.family === 4 && s.hostBits > 0 ? 2 : 1;
  const allocated = countOf(al.bitmap) - reserved;
  // The window is the range's ordinals (the whole subnet without one); what is taken in it counts out.
  const windowSize = ordinalOf(al.hi) - ordinalOf(al.lo) + 1n;
  const free = windowSize - BigInt(countSetIn(al.bitmap, al.lo, al.hi));
  return { id: p.id, addressSpace: p.addressSpace, subnet: p.subnet, ipRange: p.ipRange, allocated, free: s.family === 4 ? Number(free) : String(free) };
}
