import { plainAddress } from "./addresses.js";
import * as C from "./collection.js";
import type { EndpointRecord, SandboxRecord, State } from "./state.js";

/**
 * A sandbox's /etc/hosts, libnetwork's etchosts.Build plus the records its sandbox adds on join: the
 * default loopback content, the sandbox's own names on each of its addresses, its --add-host entries,
 * then one line per peer endpoint joined to a network the sandbox is on (libnetwork's
 * updateSvcRecord writes those into every peer's hosts file). A pure function of the state: the file is
 * a projection, rewritten after commits that change it, never an effect of its own.
 */
const defaultContent = [
  ["127.0.0.1", "localhost"],
  ["::1", "localhost ip6-localhost ip6-loopback"],
  ["fe00::0", "ip6-localnet"],
  ["ff00::0", "ip6-mcastprefix"],
  ["ff02::1", "ip6-allnodes"],
  ["ff02::2", "ip6-allrouters"],
] as const;

/** An endpoint shows in hosts files once its join has completed, as libnetwork adds records after sbJoin. */
const isJoined = (ep: EndpointRecord): boolean => ep.sandbox !== null && ep.lifecycle === "joined";

export function joinedEndpoints(s: State, sb: SandboxRecord): EndpointRecord[] {
  return sb.endpoints.map((id) => C.get(s.endpoints, id)).filter((e): e is EndpointRecord => e !== undefined && isJoined(e));
}

function addressesOf(ep: EndpointRecord): string[] {
  return [ep.ipv4, ep.ipv6].filter((a): a is string => a !== null).map(plainAddress);
}

const byNameThenId = (a: EndpointRecord, b: EndpointRecord) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

export function hostsFile(s: State, sb: SandboxRecord): string {
  const lines: string[] = defaultContent.map(([ip, names]) => `${ip}\t${names}`);
  const own = joinedEndpoints(s, sb);
  if (sb.hostname) {
    const names = sb.domainname ? `${sb.hostname}.${sb.domainname} ${sb.hostname}` : sb.hostname;
    for (const ep of own) for (const ip of addressesOf(ep)) lines.push(`${ip}\t${names}`);
  }
  for (const h of sb.extraHosts) lines.push(`${h.ip}\t${h.name}`);
  for (const ep of own) {
    const n = C.get(s.networks, ep.network);
    if (!n) continue;
    const peers = C.keys(n.attached)
      .map((id) => C.get(s.endpoints, id)!)
      .filter((p) => p.id !== ep.id && p.sandbox !== sb.id && isJoined(p))
      .sort(byNameThenId);
    for (const p of peers) {
      const names = [...new Set([p.name, ...p.aliases])].join(" ");
      for (const ip of addressesOf(p)) lines.push(`${ip}\t${names}`);
    }
  }
  return lines.join("\n") + "\n";
}
