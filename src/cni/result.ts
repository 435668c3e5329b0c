import type { Attached } from "./attach.js";
import type { CniIp, CniResult, CniRoute } from "./spec.js";

/** An address as the result gives it: with its prefix length (the view's is CIDR already). */
const plain = (a: string): string => a.split("/")[0]!;

/**
 * The ADD result from the attachment as the log has it: the host end (index 0) and the container's
 * interface (index 1, with `sandbox`), each address with its interface and gateway, a default route
 * per family that has a gateway, and the sandbox's DNS servers. A driver that places no interface
 * (null) gives addresses with no interface to point at.
 */
export function resultOf(a: Attached, netns: string): CniResult {
  const ep = a.endpoint;
  const interfaces = ep.interface
    ? [
        ...(ep.interface.host !== null ? [{ name: ep.interface.host }] : []),
        { name: ep.interface.name, ...(ep.mac ? { mac: ep.mac } : {}), sandbox: netns },
      ]
    : [];
  const index = interfaces.length > 0 ? interfaces.length - 1 : undefined;
  const ips: CniIp[] = [];
  const routes: CniRoute[] = [];
  for (const [address, gateway, anyDst] of [
    [ep.ipv4, ep.gateway, "0.0.0.0/0"],
    [ep.ipv6, ep.gateway6, "::/0"],
  ] as const) {
    if (!address) continue;
    ips.push({ address, ...(gateway ? { gateway: plain(gateway) } : {}), ...(index !== undefined ? { interface: index } : {}) });
    if (gateway) routes.push({ dst: anyDst, gw: plain(gateway) });
  }
  return {
    interfaces,
    ips,
    routes,
    dns: a.sandbox.dns.length > 0 ? { nameservers: a.sandbox.dns, ...(a.sandbox.domainname ? { domain: a.sandbox.domainname } : {}) } : {},
  };
}
