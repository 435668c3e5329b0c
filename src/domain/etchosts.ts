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

/** A peer's records in a hosts file: the endpoint, its sandbox, and one line per address. */
interface PeerRecords {
  id: string;
  sandbox: string | null;
  lines: string[];
}

/**
 * Each network's joined endpoints that have an address, in file order (name, then id), with their
 * lines: worked out once per network for every hosts file written from one state, since a join on a
 * network rewrites the file of every sandbox on it.
 */
export class PeerIndex {
  private readonly byNetwork = new Map<string, PeerRecords[]>();

  constructor(private readonly s: State) {}

  of(networkId: string): PeerRecords[] {
    let peers = this.byNetwork.get(networkId);
    if (peers) return peers;
    const n = C.get(this.s.networks, networkId);
    const joined = n ? C.keys(n.attached).map((id) => C.get(this.s.endpoints, id)!).filter(isJoined) : [];
    peers = [];
    for (const p of joined.sort(byNameThenId)) {
      const ips = addressesOf(p);
      if (ips.length === 0) continue;
      const names = [...new Set([p.name, ...p.aliases])].join(" ");
      peers.push({ id: p.id, sandbox: p.sandbox, lines: ips.map((ip) => `${ip}\t${names}`) });
    }
    this.byNetwork.set(networkId, peers);
    return peers;
  }
}

export function hostsFile(s: State, sb: SandboxRecord, peerIndex: PeerIndex = new PeerIndex(s)): string {
  const lines: string[] = defaultContent.map(([ip, names]) => `${ip}\t${names}`);
  const own = joinedEndpoints(s, sb);
  if (sb.hostname) {
    const names = sb.domainname ? `${sb.hostname}.${sb.domainname} ${sb.hostname}` : sb.hostname;
    for (const ep of own) for (const ip of addressesOf(ep)) lines.push(`${ip}\t${names}`);
  }
  for (const h of sb.extraHosts) lines.push(`${h.ip}\t${h.name}`);
  for (const ep of own) {
    if (!C.has(s.networks, ep.network)) continue;
    for (const p of peerIndex.of(ep.network)) if (p.id !== ep.id && p.sandbox !== sb.id) lines.push(...p.lines);
  }
  return lines.join("\n") + "\n";
}
