import { isIPv4, plainAddress } from "../../domain/addresses.js";

/**
 * Names and options of the bridge driver (pure). Names say whose an object is: `nl-` + 12 hex of the
 * network id for a bridge, `nlv` + 12 hex of the endpoint id for a veth's host end, `netledger_` + 8
 * hex of the database id for the nftables table. The libnetwork option keys are Docker's.
 */
export const options = {
  bridgeName: "com.docker.network.bridge.name",
  mtu: "com.docker.network.driver.mtu",
  masquerade: "com.docker.network.bridge.enable_ip_masquerade",
  icc: "com.docker.network.bridge.enable_icc",
} as const;

const bridgePrefix = "nl-";
const vethPrefix = "nlv";
const tablePrefix = "netledger_";

export function bridgeName(networkId: string, opts: Record<string, string> | undefined): string {
  return opts?.[options.bridgeName] || `${bridgePrefix}${networkId.slice(0, 12)}`;
}

export const hostVethName = (endpointId: string): string => `${vethPrefix}${endpointId.slice(0, 12)}`;

export const tableName = (databaseId: string): string => `${tablePrefix}${databaseId.slice(0, 8)}`;

/** A boolean driver option ("true"/"false", "1"/"0"); absent means the default. */
export function flag(opts: Record<string, string> | undefined, key: string, dflt: boolean): boolean {
  const v = opts?.[key];
  if (v === undefined || v === "") return dflt;
  return !/^(false|0|no|off)$/i.test(v);
}

/** The MTU option, or undefined; a value that is not an MTU is refused by the caller. */
export function mtuOf(opts: Record<string, string> | undefined): number | undefined {
  const v = opts?.[options.mtu];
  if (v === undefined || v === "" || v === "0") return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 68 && n <= 65535 ? n : NaN;
}

/**
 * libnetwork's netutils.GenerateMACFromIP: 02:42 and the four bytes of the IPv4 address, so that an
 * address keeps its MAC; an endpoint without one takes four bytes of its id. Locally administered.
 */
export function macFor(endpointId: string, ipv4: string | null): string {
  const bytes =
    ipv4 && isIPv4(plainAddress(ipv4))
      ? plainAddress(ipv4).split(".").map((o) => Number(o).toString(16).padStart(2, "0"))
      : [0, 2, 4, 6].map((i) => endpointId.slice(i, i + 2));
  return ["02", "42", ...bytes].join(":");
}
