import { formatIp, type Family, tryParseIp } from "../../domain/ipam/address.js";

/**
 * Values as the plugin protocol writes them, read and normalised: an address in CIDR form with its
 * host bits kept (Go's ParseCIDR keeping the IP), a plain IP, a MAC in any form Go's ParseMAC takes.
 */
export interface WireCidr {
  family: Family;
  /** Canonical text, e.g. `2001:db8::5:7/48`. */
  text: string;
}

export function parseWireCidr(text: string): WireCidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = tryParseIp(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefix) || Number(prefix) > (ip.family === 4 ? 32 : 128)) return undefined;
  return { family: ip.family, text: `${formatIp(ip.family, ip.value)}/${Number(prefix)}` };
}

export function parseWireIp(text: string): { family: Family; text: string } | undefined {
  const ip = tryParseIp(text);
  return ip && { family: ip.family, text: formatIp(ip.family, ip.value) };
}

/**
 * Go's net.ParseMAC for 6-byte addresses (`aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff`, `aabb.ccdd.eeff`),
 * as lower-case colon text; undefined for anything else (netledger's endpoints hold 48-bit MACs).
 */
export function parseWireMac(text: string): string | undefined {
  let hex: string | undefined;
  if (/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(text) && new Set(text.replace(/[0-9a-fA-F]/g, "")).size === 1) hex = text.replace(/[:-]/g, "");
  else if (/^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/.test(text)) hex = text.replace(/\./g, "");
  return hex?.toLowerCase().match(/../g)!.join(":");
}

/** A MAC as Go's net.HardwareAddr goes out inside a generic option map: base64 of the bytes (§8.4). */
export function macBase64(mac: string): string {
  return Buffer.from(mac.replace(/[:-]/g, ""), "hex").toString("base64");
}

/** IP protocol numbers for PortBinding.Proto (§8.4). */
export const protoNumber: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };
