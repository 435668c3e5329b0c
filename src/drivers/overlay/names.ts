import { vxlanIdOption } from "../../domain/cluster/targets.js";
import { invalid } from "../../domain/errors.js";

/**
 * Names and options of the overlay driver (pure). Per network on a node: a bridge `nlo` + 12 hex of
 * the network id and a VXLAN device `nlx` + 12 hex; an endpoint's veth host end is the bridge
 * driver's `nlv` + 12 hex of the endpoint id. The option keys are Docker's.
 */
export const overlayOptions = {
  vxlanIds: vxlanIdOption,
  mtu: "com.docker.network.driver.mtu",
} as const;

/** The VXLAN UDP port (IANA's, Docker's default). */
export const vxlanPort = 4789;
/** 1500 less the 50 bytes of VXLAN, UDP, IPv4 and inner Ethernet headers (Docker's overlay default). */
export const defaultOverlayMtu = 1450;

export const overlayBridgeName = (networkId: string): string => `nlo${networkId.slice(0, 12)}`;
export const vxlanName = (networkId: string): string => `nlx${networkId.slice(0, 12)}`;

/** The network's VXLAN id from its options (the first of Docker's comma-separated list). */
export function vniOf(opts: Record<string, string> | undefined): number | undefined {
  const v = opts?.[overlayOptions.vxlanIds];
  if (v === undefined || v === "") return undefined;
  const n = Number(v.split(",")[0]!.trim());
  if (!Number.isInteger(n) || n < 1 || n > 16777215) throw invalid(`driver option ${overlayOptions.vxlanIds} must be a VXLAN id from 1 to 16777215, not "${v}"`);
  return n;
}

export function overlayMtu(opts: Record<string, string> | undefined): number {
  const v = opts?.[overlayOptions.mtu];
  if (v === undefined || v === "" || v === "0") return defaultOverlayMtu;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 68 || n > 65535) throw invalid(`driver option ${overlayOptions.mtu} must be an MTU from 68 to 65535`);
  return n;
}
