import { parseSubnet, type Subnet } from "./address.js";
import { firstFree, type SubnetIndex } from "./subnets.js";

/**
 * The built-in IPAM drivers and libnetwork's default address spaces and pools (ipamutils): local-scope
 * networks draw from 172.17.0.0/16 … 172.31.0.0/16 and then 192.168.0.0/16 in /20s; global-scope
 * networks from 10.0.0.0/8 in /24s. A network created without a subnet gets the first of these that
 * overlaps nothing already held in its address space.
 */
export const defaultIpam = "default";
export const nullIpam = "null";

export const localAddressSpace = "LocalDefault";
export const globalAddressSpace = "GlobalDefault";

interface PredefinedRange {
  within: Subnet;
  /** The prefix length of the pools cut from it. */
  size: number;
}

const local: PredefinedRange[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ within: parseSubnet(`172.${17 + i}.0.0/16`, "pool"), size: 16 })),
  { within: parseSubnet("192.168.0.0/16", "pool"), size: 20 },
];
const global: PredefinedRange[] = [{ within: parseSubnet("10.0.0.0/8", "pool"), size: 24 }];

/** What the default pools of an address space are, in words, for errors. */
export function describeDefaults(space: string): string {
  return space === globalAddressSpace
    ? "10.0.0.0/8 in /24s"
    : "172.17.0.0/16 … 172.31.0.0/16 and 192.168.0.0/16 in /20s";
}

/** The first default IPv4 pool of the address space that is free, or undefined when all are taken. */
export function firstFreeDefaultPool(idx: SubnetIndex, space: string): Subnet | undefined {
  for (const r of space === globalAddressSpace ? global : local) {
    const s = firstFree(idx, space, r.within, r.size);
    if (s) return s;
  }
  return undefined;
}
