import { isIPv6, plainAddress, prefixLength } from "../../domain/addresses.js";
import { invalid } from "../../domain/errors.js";
import type { CreateNetworkRequest } from "../contract.js";

/** A network's pool as the bridge needs it: its subnet, and the gateway address the bridge holds. */
export interface Pool {
  subnet: string;
  /** The gateway in CIDR form with the pool's prefix length (what goes on the bridge), if any. */
  gateway: string | undefined;
}

interface IpamData {
  pool?: string;
  Pool?: string;
  gateway?: string;
  Gateway?: string;
}

/**
 * The pools of a CreateNetwork request: libnetwork's IPv4Data/IPv6Data when the request carries them
 * (Pool, and Gateway in CIDR form), else the IPAM config (subnet, plain gateway).
 */
export function poolsOf(req: CreateNetworkRequest): Pool[] {
  const data = [...((req["ipv4Data"] as IpamData[] | undefined) ?? []), ...((req["ipv6Data"] as IpamData[] | undefined) ?? [])];
  const raw = data.length
    ? data.map((d) => ({ subnet: d.pool ?? d.Pool ?? "", gateway: d.gateway ?? d.Gateway }))
    : req.ipam.config.map((c) => ({ subnet: c.subnet, gateway: c.gateway }));
  return raw
    .filter((p) => p.subnet !== "" && p.subnet !== "0.0.0.0/0")
    .map((p) => {
      const len = prefixLength(p.subnet);
      if (len === undefined) throw invalid(`subnet "${p.subnet}" is not in CIDR form`);
      if (!p.gateway) return { subnet: p.subnet, gateway: undefined };
      if (isIPv6(plainAddress(p.gateway)) !== p.subnet.includes(":"))
        throw invalid(`gateway ${p.gateway} is not of the same family as subnet ${p.subnet}`);
      return { subnet: p.subnet, gateway: `${plainAddress(p.gateway)}/${prefixLength(p.gateway) ?? len}` };
    });
}
