import { dnsOption } from "./dnsOption.js";
import { plainAddress } from "./addresses.js";
import * as C from "./collection.js";
import type { Touched } from "./projection.js";
import { familyBits, type Ip, ipText, knownSubnet, contains, tryParseIp } from "./ipam/address.js";
import type { EndpointRecord, NetworkRecord, SandboxRecord, State } from "./state.js";

/**
 * The embedded DNS server's records as a pure function of the state: a projection like the hosts files
 * (etchosts.ts), never a second source of truth. Per network with a resolver (bridge and overlay
 * networks, unless created with --disable-dns, as podman's dns_enabled), the names of each joined
 * endpoint: its sandbox's hostname (and hostname.domainname), its container id (long and the 12-digit
 * short form), the endpoint's name and its aliases — libnetwork's service records (updateSvcRecord)
 * and aardvark-dns's. A client sees the names of the networks its own sandbox is joined to, never
 * another network's; everything else is forwarded to its upstream servers.
 */

export { dnsOption };

/** Drivers whose networks get a resolver by default: those with a gateway on this host's side. */
const dnsDrivers = new Set(["bridge", "overlay"]);

export function dnsEnabled(n: NetworkRecord): boolean {
  return dnsDrivers.has(n.driver) && n.options[dnsOption] !== "false";
}

/** A name's addresses, plain (no prefix length). */
export interface NameRecord {
  a: string[];
  aaaa: string[];
}

export interface DnsNetwork {
  id: string;
  name: string;
  /** Where its server listens: the gateway addresses, plain. */
  gateways: string[];
  /** Its subnets in CIDR form: only clients inside them are answered. */
  subnets: string[];
  /** Lower-case name (no trailing dot) → addresses. */
  names: Map<string, NameRecord>;
}

export interface DnsClient {
  /** The resolver networks its sandbox is joined to, in join order. */
  networks: string[];
  /** Its sandbox's --dns servers: where its other questions go, instead of the host's. */
  upstream: string[];
}

export interface DnsTable {
  /** The networks with a resolver whose network is up (active), by id. */
  networks: Map<string, DnsNetwork>;
  /** A joined address (canonical text) → the client it belongs to. */
  clients: Map<string, DnsClient>;
  /** A PTR name (lower case, no trailing dot) → per network id, the name it answers. */
  ptr: Map<string, Map<string, string>>;
}

const isJoined = (ep: EndpointRecord): boolean => ep.sandbox !== null && ep.lifecycle === "joined";

const canonical = (address: string): string | undefined => {
  const ip = tryParseIp(plainAddress(address));
  return ip ? ipText(ip) : undefined;
};

/** A name DNS can carry: labels of 1 to 63 bytes, 253 in all (RFC 1035 §2.3.4). */
const isDnsName = (n: string): boolean => n.length <= 253 && n.split(".").every((l) => l.length >= 1 && l.length <= 63);

/**
 * The names an endpoint answers to, first the one its PTR record gives back. A 64-digit container id
 * is one label too long for DNS, so only its 12-digit short form is answered (as with Docker).
 */
export function endpointNames(ep: Pick<EndpointRecord, "name" | "aliases">, sb: Pick<SandboxRecord, "hostname" | "domainname" | "containerId"> | undefined): string[] {
  const names = [ep.name, ...ep.aliases];
  if (sb) {
    if (sb.hostname) names.push(sb.hostname, ...(sb.domainname ? [`${sb.hostname}.${sb.domainname}`] : []));
    if (sb.containerId) names.push(sb.containerId, ...(sb.containerId.length > 12 ? [sb.containerId.slice(0, 12)] : []));
  }
  return dnsNames(names);
}

/** Names as the table keys them: lower case, no trailing dot, each once, those DNS cannot carry left out. */
export function dnsNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const k = n.toLowerCase().replace(/\.$/, "");
    if (isDnsName(k) && !out.includes(k)) out.push(k);
  }
  return out;
}

/**
 * An endpoint of a global (overlay) network that lives on another node: its sandbox is not in this
 * host's state, so its records come from the cluster state (domain/cluster/dnsPeers.ts).
 */
export interface RemoteEndpoint {
  network: string;
  /** Plain IPv4 address. */
  address: string;
  /** Its names, the PTR name first. */
  names: string[];
}

/** The reverse name of an address (`10.0.0.2` → `2.0.0.10.in-addr.arpa`). */
export function reverseName(ip: Ip): string {
  if (ip.family === 4) return `${ipText(ip).split(".").reverse().join(".")}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = 0; i < familyBits(6) / 4; i++) nibbles.push(((ip.value >> BigInt(i * 4)) & 0xfn).toString(16));
  return `${nibbles.join(".")}.ip6.arpa`;
}

function addName(names: Map<string, NameRecord>, name: string, v4: string | undefined, v6: string | undefined): void {
  let r = names.get(name);
  if (!r) names.set(name, (r = { a: [], aaaa: [] }));
  if (v4 && !r.a.includes(v4)) r.a.push(v4);
  if (v6 && !r.aaaa.includes(v6)) r.aaaa.push(v6);
}

/**
 * Whether a batch that touched `t` can change the table: only if it touched a network with a resolver
 * (before or after). Records are per network and a sandbox's names and --dns are fixed at its creation,
 * so a batch on other networks (a null network's churn, say) costs the server nothing.
 */
export function touchesDns(before: State, after: State, t: Touched): boolean {
  for (const id of t.networks) {
    const n = C.get(after.networks, id) ?? C.get(before.networks, id);
    if (n && dnsEnabled(n)) return true;
  }
  return false;
}

/**
 * The table for state `s`; `remote` adds the endpoints of this node's global networks that live on
 * other nodes, answered to the sandboxes of this node on the same network as if they were local ones.
 */
export function dnsTable(s: State, remote: readonly RemoteEndpoint[] = []): DnsTable {
  const networks = new Map<string, DnsNetwork>();
  const clients = new Map<string, DnsClient>();
  const ptr = new Map<string, Map<string, string>>();
  const addPtr = (network: string, addr: string | undefined, name: string): void => {
    if (!addr) return;
    const rev = reverseName(tryParseIp(addr)!);
    let m = ptr.get(rev);
    if (!m) ptr.set(rev, (m = new Map()));
    m.set(network, name);
  };
  /** The sandboxes joined to a network with a resolver: the clients, looked at once each below. */
  const served = new Set<string>();
  for (const n of C.values(s.networks)) {
    const gateways = resolverGateways(n);
    if (gateways.length === 0) continue;
    const subnets = n.pools.map((p) => p.subnet);
    const net: DnsNetwork = { id: n.id, name: n.name, gateways, subnets, names: new Map() };
    networks.set(n.id, net);
    for (const epId of C.keys(n.attached)) {
      const ep = C.get(s.endpoints, epId);
      if (!ep || !isJoined(ep)) continue;
      const sb = C.get(s.sandboxes, ep.sandbox!);
      served.add(ep.sandbox!);
      const v4 = ep.ipv4 ? canonical(ep.ipv4) : undefined;
      const v6 = ep.ipv6 ? canonical(ep.ipv6) : undefined;
      const names = endpointNames(ep, sb);
      if (names.length === 0) continue;
      for (const name of names) addName(net.names, name, v4, v6);
      for (const addr of [v4, v6]) addPtr(n.id, addr, names[0]!);
    }
  }
  for (const r of remote) {
    const net = networks.get(r.network);
    const v4 = canonical(r.address);
    const names = dnsNames(r.names);
    if (!net || !v4 || names.length === 0) continue;
    for (const name of names) addName(net.names, name, v4, undefined);
    addPtr(r.network, v4, names[0]!);
  }
  for (const id of served) {
    const sb = C.get(s.sandboxes, id);
    if (!sb) continue;
    const eps = sb.endpoints.map((id) => C.get(s.endpoints, id)).filter((e): e is EndpointRecord => e !== undefined && isJoined(e));
    const nets = [...new Set(eps.map((e) => e.network).filter((id) => networks.has(id)))];
    if (nets.length === 0) continue;
    for (const ep of eps)
      for (const a of [ep.ipv4, ep.ipv6]) {
        const c = a ? canonical(a) : undefined;
        if (c) clients.set(c, { networks: nets, upstream: sb.dns });
      }
  }
  return { networks, clients, ptr };
}

/** The resolver networks a sandbox is joined to, in join order: the nameservers its resolv.conf names. */
export function sandboxResolvers(s: State, sb: SandboxRecord): string[] {
  const out: string[] = [];
  for (const id of sb.endpoints) {
    const ep = C.get(s.endpoints, id);
    const n = ep && isJoined(ep) ? C.get(s.networks, ep.network) : undefined;
    if (!n) continue;
    for (const g of resolverGateways(n)) if (!out.includes(g)) out.push(g);
  }
  return out;
}

/** The addresses a network's DNS server listens on (its gateways): none when it has no resolver. */
function resolverGateways(n: NetworkRecord): string[] {
  if (!dnsEnabled(n) || n.lifecycle !== "active") return [];
  const out: string[] = [];
  for (const p of n.pools) {
    const g = p.gateway ? canonical(p.gateway) : undefined;
    if (g) out.push(g);
  }
  return out;
}

/** The networks a DNS server answers for: only their endpoints on other nodes are ever asked for. */
export function resolverNetworks(s: State): Set<string> {
  const out = new Set<string>();
  for (const n of C.values(s.networks)) if (resolverGateways(n).length > 0) out.add(n.id);
  return out;
}

/** What the server does with one question. */
export type DnsDecision =
  | { kind: "refuse" }
  | { kind: "answer"; addresses: string[] }
  | { kind: "ptr"; name: string }
  /** The name is ours but has no record of the type asked (NOERROR, no answer). */
  | { kind: "nodata" }
  | { kind: "forward"; upstream: string[] };

/**
 * Decides one question from `client` arriving at the server of network `networkId`. A client outside
 * that network's subnets is refused (aardvark-dns answers only its own network's containers); a known
 * client sees the names of every resolver network its sandbox is on, this one first, an unknown one (an
 * address not joined, in the subnet) those of this network only.
 */
export function decideQuestion(t: DnsTable, networkId: string, client: string, qname: string, qtype: string): DnsDecision {
  const net = t.networks.get(networkId);
  const ip = tryParseIp(client);
  if (!net || !ip || !net.subnets.some((c) => contains(knownSubnet(c), ip))) return { kind: "refuse" };
  const who = t.clients.get(ipText(ip));
  // The network asked first, then the client's others in join order: a name on two of them is answered
  // from the first (libnetwork, too, answers from the first of the container's networks that has it).
  const visible = who && who.networks.includes(networkId) ? [networkId, ...who.networks.filter((id) => id !== networkId)] : [networkId];
  const name = qname.toLowerCase().replace(/\.$/, "");
  if (qtype === "PTR") {
    const m = t.ptr.get(name);
    const hit = m ? visible.find((id) => m.has(id)) : undefined;
    if (hit) return { kind: "ptr", name: m!.get(hit)! };
  } else {
    for (const id of visible) {
      const r = t.networks.get(id)?.names.get(name);
      if (!r) continue;
      const addresses = qtype === "A" ? r.a : qtype === "AAAA" ? r.aaaa : qtype === "ANY" ? [...r.a, ...r.aaaa] : [];
      return addresses.length > 0 ? { kind: "answer", addresses } : { kind: "nodata" };
    }
  }
  return { kind: "forward", upstream: who?.upstream ?? [] };
}
