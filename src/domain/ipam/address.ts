import { collapseIPv6Number, IPv6 } from "ip-num";
import { invalid } from "../errors.js";

/**
 * Addresses and subnets as values: ip-num parses and validates what users and drivers write, and the
 * arithmetic is done on the bigint values it yields. Text is always written back in one canonical form
 * (dotted quads; RFC 5952 compressed IPv6), so that equal addresses are equal strings in the log.
 */
export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

export interface Subnet {
  family: Family;
  /** The canonical CIDR text, e.g. `10.0.0.0/24` or `fd00::/64`. */
  cidr: string;
  /** The network address. */
  network: bigint;
  prefix: number;
  /** Host bits: the subnet holds 2^hostBits addresses. */
  hostBits: number;
}

export const familyBits = (f: Family): number => (f === 4 ? 32 : 128);

/** Parses an IPv4 or IPv6 address; `what` names it in the error (e.g. `--gateway`). */
export function parseIp(text: string, what: string): Ip {
  const ip = tryParseIp(text);
  if (!ip) throw invalid(`${what} "${text}" is not an IPv4 or IPv6 address`);
  return ip;
}

export function tryParseIp(text: string): Ip | undefined {
  if (text.length === 0 || text.length > 45 || /[\s%/]/.test(text)) return undefined;
  try {
    if (text.includes(":")) return { family: 6, value: IPv6.fromString(text).value };
    return parseIPv4(text);
  } catch {
    return undefined;
  }
}

/**
 * A dotted quad, read by hand: ip-num's parser cost about a tenth of a node's fold of the cluster log
 * (every endpoint's address is parsed as it is claimed, and again for the DNS table). It accepts what
 * ip-num accepts: four decimal octets of at most 255, without leading zeros (property-tested).
 */
function parseIPv4(text: string): Ip | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits === 1 && octet === 0)) return undefined; // a fourth digit, or a leading zero
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return { family: 4, value: BigInt(value * 256 + octet) };
}

/**
 * Parses a subnet in CIDR form. Host bits must be zero: `10.0.0.5/24` is refused with the form meant,
 * rather than silently becoming 10.0.0.0/24.
 */
export function parseSubnet(text: string, what: string): Subnet {
  const slash = text.indexOf("/");
  const prefixText = slash < 0 ? "" : text.slice(slash + 1);
  const ip = slash < 0 ? undefined : tryParseIp(text.slice(0, slash));
  if (!ip || !/^\d{1,3}$/.test(prefixText))
    throw invalid(`${what} "${text}" is not a subnet in CIDR form (like 10.1.0.0/24 or fd00:1::/64)`);
  const prefix = Number(prefixText);
  const bits = familyBits(ip.family);
  if (prefix > bits) throw invalid(`${what} "${text}": an IPv${ip.family} prefix length is at most ${bits}`);
  const s = subnetOf(ip.family, ip.value, prefix);
  if (s.network !== ip.value) throw invalid(`${what} "${text}" has host bits set; did you mean ${s.cidr}?`);
  return s;
}

const subnetCache = new Map<string, Subnet>();

/** parseSubnet for text this program wrote itself (state, events): memoised, since replay asks often. */
export function knownSubnet(cidr: string): Subnet {
  let s = subnetCache.get(cidr);
  if (!s) {
    if (subnetCache.size > 4096) subnetCache.clear();
    s = parseSubnet(cidr, "subnet");
    subnetCache.set(cidr, s);
  }
  return s;
}

/** The subnet of a given prefix length that contains `value`. */
export function subnetOf(family: Family, value: bigint, prefix: number): Subnet {
  const hostBits = familyBits(family) - prefix;
  const network = (value >> BigInt(hostBits)) << BigInt(hostBits);
  return { family, cidr: `${formatIp(family, network)}/${prefix}`, network, prefix, hostBits };
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return collapseIPv6Number(groups.join(":"));
}

/** The canonical text of an address (`FD00:0::5` → `fd00::5`). */
export const ipText = (ip: Ip): string => formatIp(ip.family, ip.value);

export function contains(s: Subnet, ip: Ip): boolean {
  return s.family === ip.family && ip.value >> BigInt(s.hostBits) === s.network >> BigInt(s.hostBits);
}

/** Two subnets overlap when the shorter one contains the other's network address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  if (a.family !== b.family) return false;
  const [outer, inner] = a.prefix <= b.prefix ? [a, b] : [b, a];
  return contains(outer, { family: inner.family, value: inner.network });
}

export function inside(inner: Subnet, outer: Subnet): boolean {
  return inner.prefix >= outer.prefix && overlaps(inner, outer);
}

/** How many addresses a subnet holds. */
export const sizeOf = (s: Subnet): bigint => 1n << BigInt(s.hostBits);

/** The address at an offset from the network address. */
export const addressAt = (s: Subnet, ordinal: bigint): Ip => ({ family: s.family, value: s.network + ordinal });

/** What an address is in its subnet that makes it never assignable, if anything (libnetwork's insertBitMask). */
export function reservedRole(s: Subnet, ip: Ip): "network address" | "broadcast address" | null {
  const ord = ip.value - s.network;
  if (ord === 0n) return "network address";
  if (s.family === 4 && ord === sizeOf(s) - 1n) return "broadcast address";
  return null;
}
