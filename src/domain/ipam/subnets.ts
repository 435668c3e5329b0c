import * as C from "../collection.js";
import type { Collection } from "../collection.js";
import { familyBits, type Subnet, subnetOf } from "./address.js";

/**
 * Which subnets the default IPAM has handed out, per address space, as a binary trie over prefixes
 * kept in a Collection: the entry of a subnet names its network, and every shorter prefix above it
 * counts the subnets below. So an overlap check (libnetwork's addrSpace.contains) and the search for
 * the first free default pool each read one entry per prefix length, and neither copies nor scans a
 * list of every network's pools.
 */
export interface SubnetMark {
  /** The network that holds exactly this subnet, if any. */
  network: string | null;
  /** Held subnets strictly inside this one. */
  below: number;
}

export type SubnetIndex = Collection<SubnetMark>;

const keyOf = (space: string, s: Subnet): string => `${space}|${s.cidr}`;

export function markSubnet(idx: SubnetIndex, space: string, s: Subnet, network: string): void {
  for (let q = 0; q < s.prefix; q++) {
    const k = keyOf(space, subnetOf(s.family, s.network, q));
    const m = C.getMut(idx, k);
    if (m) m.below++;
    else C.set(idx, k, { network: null, below: 1 });
  }
  const k = keyOf(space, s);
  const m = C.getMut(idx, k);
  if (m?.network) throw new Error(`subnet ${s.cidr} of ${space} is already held by network ${m.network}`);
  if (m) m.network = network;
  else C.set(idx, k, { network, below: 0 });
}

export function unmarkSubnet(idx: SubnetIndex, space: string, s: Subnet): void {
  const k = keyOf(space, s);
  const own = C.getMut(idx, k);
  if (!own?.network) throw new Error(`subnet ${s.cidr} of ${space} is not held`);
  own.network = null;
  if (own.below === 0) C.remove(idx, k);
  for (let q = 0; q < s.prefix; q++) {
    const kq = keyOf(space, subnetOf(s.family, s.network, q));
    const m = C.getMut(idx, kq)!;
    m.below--;
    if (m.below === 0 && m.network === null) C.remove(idx, kq);
  }
}

/** A held subnet that overlaps `s` in the space, with its network, or undefined. */
export function findOverlap(idx: SubnetIndex, space: string, s: Subnet): { subnet: string; network: string } | undefined {
  // A held subnet that contains s (or is s) sits on s's path from the root.
  for (let q = 0; q <= s.prefix; q++) {
    const above = subnetOf(s.family, s.network, q);
    const m = C.get(idx, keyOf(space, above));
    if (m?.network) return { subnet: above.cidr, network: m.network };
    if (!m) break; // nothing is held at or below a prefix with no entry
  }
  // One inside s: follow the counts down to it.
  let at = s;
  let m = C.get(idx, keyOf(space, at));
  while (m && m.below > 0) {
    const [left, right] = halves(at);
    const ml = C.get(idx, keyOf(space, left));
    [at, m] = ml ? [left, ml] : [right, C.get(idx, keyOf(space, right))];
    if (m?.network) return { subnet: at.cidr, network: m.network };
  }
  return undefined;
}

function halves(s: Subnet): [Subnet, Subnet] {
  const q = s.prefix + 1;
  const bit = 1n << BigInt(familyBits(s.family) - q);
  return [subnetOf(s.family, s.network, q), subnetOf(s.family, s.network | bit, q)];
}

/**
 * The first subnet of prefix length `size` inside `within` that overlaps nothing held in the space, in
 * address order; undefined when every one does.
 */
export function firstFree(idx: SubnetIndex, space: string, within: Subnet, size: number): Subnet | undefined {
  for (let q = 0; q < within.prefix; q++) {
    const m = C.get(idx, keyOf(space, subnetOf(within.family, within.network, q)));
    if (!m) break;
    if (m.network) return undefined;
  }
  return descend(idx, space, within, size);
}

function descend(idx: SubnetIndex, space: string, at: Subnet, size: number): Subnet | undefined {
  const m = C.get(idx, keyOf(space, at));
  if (!m) return at.prefix === size ? at : subnetOf(at.family, at.network, size);
  if (m.network || at.prefix === size) return undefined;
  const [left, right] = halves(at);
  return descend(idx, space, left, size) ?? descend(idx, space, right, size);
}
