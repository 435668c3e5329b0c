import { invalid } from "../errors.js";
import type { IpamConfig } from "../events.js";
import {
  addressAt,
  contains,
  type Family,
  inside,
  type Ip,
  ipText,
  overlaps,
  parseIp,
  parseSubnet,
  reservedRole,
  sizeOf,
  type Subnet,
} from "./address.js";

/**
 * A network's IPAM configuration checked and turned into the pools to request, in libnetwork's order
 * (every IPv4 pool, then every IPv6 pool). What is wrong with it is said before anything is written,
 * naming the flag and value, as Docker's daemon does before it calls any IPAM driver.
 */
export interface PoolRequest {
  family: Family;
  /** The user's subnet; null lets the IPAM driver choose (a default pool). */
  subnet: Subnet | null;
  ipRange: Subnet | null;
  /** The user's gateway; null: the first host address of the subnet (or the driver's choice). */
  gateway: Ip | null;
  aux: { name: string; ip: Ip }[];
}

export function poolRequests(config: readonly IpamConfig[], ipv6: boolean): PoolRequest[] {
  const requests = config.map(checkConfig);
  for (let i = 0; i < requests.length; i++)
    for (let j = i + 1; j < requests.length; j++)
      if (overlaps(requests[i]!.subnet!, requests[j]!.subnet!))
        throw invalid(`subnets ${requests[i]!.subnet!.cidr} and ${requests[j]!.subnet!.cidr} overlap; each --subnet of a network must be separate`);
  const v6 = requests.filter((r) => r.family === 6);
  if (v6.length > 0 && !ipv6)
    throw invalid(`subnet ${v6[0]!.subnet!.cidr} is IPv6, but IPv6 is not enabled on the network; add --ipv6`);
  const v4 = requests.filter((r) => r.family === 4);
  return [
    ...(v4.length > 0 ? v4 : [{ family: 4 as const, subnet: null, ipRange: null, gateway: null, aux: [] }]),
    ...(v6.length > 0 ? v6 : ipv6 ? [{ family: 6 as const, subnet: null, ipRange: null, gateway: null, aux: [] }] : []),
  ];
}

function checkConfig(c: IpamConfig): PoolRequest {
  const subnet = parseSubnet(c.subnet, "--subnet");
  // Without a host address besides the reserved ones there is nothing to give a gateway or an endpoint.
  if (sizeOf(subnet) - (subnet.family === 4 ? 2n : 1n) < 1n)
    throw invalid(
      `subnet ${subnet.cidr} has no address to hand out` +
        (subnet.family === 4 ? ": an IPv4 subnet needs a prefix of /30 or shorter" : ": an IPv6 subnet needs a prefix of /127 or shorter"),
    );
  let ipRange: Subnet | null = null;
  if (c.ipRange !== undefined) {
    ipRange = parseSubnet(c.ipRange, "--ip-range");
    if (!inside(ipRange, subnet)) throw invalid(`--ip-range ${ipRange.cidr} is not inside subnet ${subnet.cidr}`);
  }
  const gateway = c.gateway !== undefined ? hostIn(subnet, c.gateway, "--gateway") : null;
  const gatewayIp = gateway ?? addressAt(subnet, 1n);
  const aux: PoolRequest["aux"] = [];
  for (const [name, text] of Object.entries(c.auxAddresses ?? {})) {
    if (name.length === 0) throw invalid(`--aux-address "=${text}" has no name; write NAME=IP`);
    const ip = hostIn(subnet, text, `--aux-address ${name}`);
    if (ip.value === gatewayIp.value)
      throw invalid(
        `--aux-address ${name}=${ipText(ip)} is the gateway of subnet ${subnet.cidr}` +
          (gateway ? "" : " (the first host address, by default); give the gateway another address with --gateway"),
      );
    const twin = aux.find((a) => a.ip.value === ip.value);
    if (twin) throw invalid(`--aux-address ${name} and ${twin.name} are both ${ipText(ip)}; each needs its own address`);
    aux.push({ name, ip });
  }
  return { family: subnet.family, subnet, ipRange, gateway, aux };
}

/** An address the user gave for the subnet: inside it, and neither its network nor its broadcast address. */
function hostIn(subnet: Subnet, text: string, what: string): Ip {
  const ip = parseIp(text, what);
  if (!contains(subnet, ip)) throw invalid(`${what} ${ipText(ip)} is not in subnet ${subnet.cidr}`);
  const role = reservedRole(subnet, ip);
  if (role) throw invalid(`${what} ${ipText(ip)} is the ${role} of subnet ${subnet.cidr}; it cannot be assigned`);
  return ip;
}
