import { isIPv6, isLoopback } from "./addresses.js";
import * as C from "./collection.js";
import { sandboxResolvers } from "./dnsRecords.js";
import { joinedEndpoints } from "./etchosts.js";
import type { SandboxRecord, State } from "./state.js";

/**
 * A sandbox's resolv.conf, as libnetwork's resolvconf package makes it. With --dns the servers given
 * replace the host's, keeping its search domains and options (resolvconf.Build). Without, the host's
 * file is used filtered (resolvconf.FilterResolvDNS): loopback servers go, since the sandbox cannot
 * reach the host's loopback, and IPv6 servers go unless one of the sandbox's networks has IPv6; when
 * nothing is left, Google's public servers stand in. A sandbox in the host's namespace gets the
 * host's file as it is. Pure: the host's file is an input.
 *
 * A sandbox joined to a network with a resolver (dnsRecords.ts) names that network's gateway instead,
 * where netledger's embedded server listens (as podman's aardvark-dns), one line per such network (at
 * most three, the resolver's limit); the host's servers, or --dns, become that server's upstream. The
 * host's search domains stay and `ndots:0` is added, as libnetwork does for its 127.0.0.11, so that a
 * bare container name is asked as it is before any search domain.
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

/** The nameservers a resolv.conf names, in order (the embedded server's upstream when the sandbox gave no --dns). */
export function nameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = nameserverLine.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The resolv.conf of a sandbox served by the embedded resolver: its networks' gateways. */
function embedded(servers: string[], hostText: string): string {
  const search = field(hostText, "search");
  const options = field(hostText, "options").filter((o) => !o.startsWith("ndots:"));
  const lines = [
    ...(search.length ? [`search ${search.join(" ")}`] : []),
    ...servers.slice(0, 3).map((d) => `nameserver ${d}`),
    `options ndots:0${options.length ? " " + options.join(" ") : ""}`,
  ];
  return lines.join("\n") + "\n";
}

export function resolvConf(s: State, sb: SandboxRecord, hostText: string): string {
  const resolvers = sb.key === null ? [] : sandboxResolvers(s, sb);
  if (resolvers.length > 0) return embedded(resolvers, hostText);
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
