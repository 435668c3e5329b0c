import { Validator } from "ip-num";

/** Small address predicates for the sandbox files and the bridge driver (pure; ip-num underneath). */

export const isIPv4 = (s: string): boolean => Validator.isValidIPv4String(s)[0];
export const isIPv6 = (s: string): boolean => !s.includes("%") && Validator.isValidIPv6String(s)[0];
export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

/** The address of a CIDR-form interface address ("10.0.0.2/24" → "10.0.0.2"); a plain address as it is. */
export const plainAddress = (cidr: string): string => cidr.split("/")[0]!;

/** The prefix length of a CIDR ("10.0.0.0/24" → 24), or undefined for a plain address. */
export function prefixLength(cidr: string): number | undefined {
  const i = cidr.indexOf("/");
  if (i < 0) return undefined;
  const n = Number(cidr.slice(i + 1));
  return Number.isInteger(n) ? n : undefined;
}

/** Loopback addresses: a DNS server there is unreachable from another namespace. */
export const isLoopback = (ip: string): boolean => (isIPv4(ip) && ip.startsWith("127.")) || (isIPv6(ip) && /^(0*:)*:?0*1$/.test(ip));
