import { invalid } from "../domain/errors.js";
import type { IpamConfig } from "../domain/events.js";
import { contains, inside, parseIp, parseSubnet, type Subnet } from "../domain/ipam/address.js";

/**
 * Docker's IPAM flags: each --gateway, --ip-range and --aux-address belongs to the --subnet that
 * contains it, however many subnets there are and in whatever order the flags come. One that fits no
 * subnet, or a second gateway or range for the same subnet, is an error naming it.
 */
export function ipamConfig(subnets: string[], gateways: string[], ranges: string[], aux: Record<string, string>): IpamConfig[] {
  if (subnets.length === 0) {
    if (gateways.length || ranges.length || Object.keys(aux).length)
      throw invalid("--gateway, --ip-range and --aux-address need a --subnet");
    return [];
  }
  const parsed = subnets.map((s) => parseSubnet(s, "--subnet"));
  const config: IpamConfig[] = subnets.map((subnet) => ({ subnet }));
  const owner = (given: string, fits: (s: Subnet) => boolean): IpamConfig => {
    const i = parsed.findIndex(fits);
    if (i < 0) throw invalid(`${given} is not in any --subnet (${subnets.join(", ")})`);
    return config[i]!;
  };
  for (const g of gateways) {
    const ip = parseIp(g, "--gateway");
    const c = owner(`--gateway ${g}`, (s) => contains(s, ip));
    if (c.gateway !== undefined) throw invalid(`subnet ${c.subnet} has two --gateway values, ${c.gateway} and ${g}; give one`);
    c.gateway = g;
  }
  for (const r of ranges) {
    const range = parseSubnet(r, "--ip-range");
    const c = owner(`--ip-range ${r}`, (s) => inside(range, s));
    if (c.ipRange !== undefined) throw invalid(`subnet ${c.subnet} has two --ip-range values, ${c.ipRange} and ${r}; give one`);
    c.ipRange = r;
  }
  for (const [name, text] of Object.entries(aux)) {
    const ip = parseIp(text, `--aux-address ${name}`);
    const c = owner(`--aux-address ${name}=${text}`, (s) => contains(s, ip));
    c.auxAddresses = { ...c.auxAddresses, [name]: text };
  }
  return config;
}
