import { isIPv6, isLoopback } from "./addresses.js";
import * as C from "./collection.js";
import { joinedEndpoints } from "./etchosts.js";
import type { SandboxRecord, State } from "./state.js";

/**
 * A sandbox's resolv.conf, as libnetwork's resolvconf package makes it. With --dns the servers given
 * replace the host's, keeping its search domains and options (resolvconf.Build). Without, the host's
 * file is used filtered (resolvconf.FilterResolvDNS): loopback servers go, since the sandbox cannot
 * reach the host's loopback, and IPv6 servers go unless one of the sandbox's networks has IPv6; when
 * nothing is left, Google's public servers stand in. A sandbox in the host's namespace gets the
 * host's file as it is. Pure: the host's file is an input.
 */
const defaultNameservers = { ipv4: ["8.8.8.8", "8.8.4.4"], ipv6: ["2001:4860:4860::8888", "2001:4860:4860::8844"] };

const nameserverLine = /^\s*nameserver\s+(\S+)/;

function field(hostText: string, key: string): string[] {
  const out: string[] = [];
  for (const line of hostText.split("\n")) {
    const m = new RegExp(`^\\s*${key}\\s+(.*)$`).exec(line);
    if (m) out.splice(0, out.length, ...m[1]!.trim().split(/\s+/));
  }
  return out;
}

/** Whether any network the sandbox is joined to has IPv6. */
function sandboxHasIPv6(s: State, sb: SandboxRecord): boolean {
  return joinedEndpoints(s, sb).some((ep) => C.get(s.networks, ep.network)?.ipv6 === true);
}

export function resolvConf(s: State, sb: SandboxRecord, hostText: string): string {
  if (sb.dns.length > 0) {
    const search = field(hostText, "search");
    const options = field(hostText, "options");
    const lines = [
      ...(search.length ? [`search ${search.join(" ")}`] : []),
      ...sb.dns.map((d) => `nameserver ${d}`),
      ...(options.length ? [`options ${options.join(" ")}`] : []),
    ];
    return lines.join("\n") + "\n";
  }
  if (sb.key === null) return hostText.endsWith("\n") || hostText === "" ? hostText : hostText + "\n";
  const ipv6 = sandboxHasIPv6(s, sb);
  let servers = 0;
  const kept = hostText.split("\n").filter((line) => {
    const m = nameserverLine.exec(line);
    if (!m) return true;
    const ip = m[1]!;
    if (isLoopback(ip) || (!ipv6 && isIPv6(ip))) return false;
    servers++;
    return true;
  });
  while (kept.length > 0 && kept.at(-1)!.trim() === "") kept.pop();
  if (servers === 0) {
    for (const d of defaultNameservers.ipv4) kept.push(`nameserver ${d}`);
    if (ipv6) for (const d of defaultNameservers.ipv6) kept.push(`nameserver ${d}`);
  }
  return kept.join("\n") + "\n";
}
