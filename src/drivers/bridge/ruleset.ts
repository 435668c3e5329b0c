import { isIPv4, plainAddress } from "../../domain/addresses.js";
import * as C from "../../domain/collection.js";
import type { PortBinding } from "../../domain/events.js";
import type { EndpointRecord, NetworkRecord, State } from "../../domain/state.js";
import { bridgeName, flag, options, tableName } from "./names.js";

/**
 * The bridge driver's nftables table as a pure function of the state: one table per database, so
 * that programming the kernel after any change, or after a reboot, is "apply the ruleset for the
 * current state" (one `nft -f`, atomic). Docker's iptables/nftables rules are the model:
 *
 * - outbound masquerade for each network's subnets leaving through another interface, unless the
 *   network is internal or com.docker.network.bridge.enable_ip_masquerade=false;
 * - isolation: nothing is forwarded between two netledger bridges, nor into or out of an internal
 *   network's bridge; enable_icc=false also drops traffic within one bridge;
 * - published ports (-p): DNAT of connections to a local address (fib daddr type local) in
 *   prerouting, for other hosts and namespaces, and in output, for the host itself including
 *   127.0.0.1. A connection from the host is masqueraded to the bridge's address (fib saddr type
 *   local), and the driver sets route_localnet on the bridge so the kernel routes 127.0.0.1-sourced
 *   packets out of it: the equivalent of Docker with its userland proxy off. DNAT'd connections are
 *   accepted before isolation, so a published port answers from every namespace.
 *
 * Each rule's comment names the network or endpoint it serves, which is how `gc` tells a rule the
 * state no longer knows.
 */
export interface FirewallNetwork {
  id: string;
  bridge: string;
  /** Subnets in CIDR form, IPv4 and IPv6. */
  subnets: string[];
  internal: boolean;
  masquerade: boolean;
  icc: boolean;
}

export interface FirewallPort {
  endpoint: string;
  bridge: string;
  proto: PortBinding["proto"];
  /** "" for every local address. */
  hostIp: string;
  hostPort: number;
  /** The endpoint's address (plain) and port. */
  address: string;
  port: number;
}

export interface FirewallPlan {
  table: string;
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}

/** Networks whose rules are in the table: the bridge networks that are, or are being, programmed. */
function isProgrammed(n: NetworkRecord): boolean {
  return n.driver === "bridge" && (n.lifecycle === "active" || n.lifecycle === "creating");
}

function networkSubnets(n: NetworkRecord): string[] {
  return n.ipam.config.map((c) => c.subnet).filter((s) => s.includes("/"));
}

/** The host port a binding got: the one asked for, or the one the driver picked at Join for port 0. */
function hostPortOf(ep: EndpointRecord, b: PortBinding): number {
  if (b.hostPort !== 0) return b.hostPort;
  const picked = (ep.joinInfo?.["portMappings"] as PortBinding[] | undefined)?.find(
    (m) => m.proto === b.proto && m.port === b.port && m.hostIp === b.hostIp,
  );
  return picked?.hostPort ?? 0;
}

function portsOf(ep: EndpointRecord, bridge: string): FirewallPort[] {
  if (ep.sandbox === null || ep.lifecycle !== "joined") return [];
  const out: FirewallPort[] = [];
  for (const b of ep.ports) {
    const hostPort = hostPortOf(ep, b);
    if (hostPort === 0) continue;
    for (const cidr of [ep.ipv4, ep.ipv6]) {
      if (!cidr) continue;
      const address = plainAddress(cidr);
      // A binding to one host address serves only its family.
      if (b.hostIp !== "" && isIPv4(b.hostIp) !== isIPv4(address)) continue;
      out.push({ endpoint: ep.id, bridge, proto: b.proto, hostIp: b.hostIp, hostPort, address, port: b.port });
    }
  }
  return out;
}

export function firewallPlan(s: State, databaseId: string): FirewallPlan {
  const networks: FirewallNetwork[] = [];
  const ports: FirewallPort[] = [];
  for (const n of C.values(s.networks)) {
    if (!isProgrammed(n)) continue;
    const bridge = bridgeName(n.id, n.options);
    networks.push({
      id: n.id,
      bridge,
      subnets: networkSubnets(n),
      internal: n.internal,
      masquerade: flag(n.options, options.masquerade, true),
      icc: flag(n.options, options.icc, true),
    });
    // An internal network publishes nothing, as Docker's does not.
    if (n.internal) continue;
    for (const epId of C.keys(n.endpoints)) {
      const ep = C.get(s.endpoints, epId);
      if (ep) ports.push(...portsOf(ep, bridge));
    }
  }
  networks.sort((a, b) => (a.bridge < b.bridge ? -1 : a.bridge > b.bridge ? 1 : 0));
  ports.sort((a, b) => a.hostPort - b.hostPort || (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0) || a.port - b.port);
  return { table: tableName(databaseId), networks, ports };
}

/** Which forwarding sysctls the plan needs on: any network with a way out, per family. */
export function forwardingNeeded(plan: FirewallPlan): { ipv4: boolean; ipv6: boolean } {
  const out = plan.networks.filter((n) => !n.internal);
  return { ipv4: out.length > 0, ipv6: out.some((n) => n.subnets.some((s) => s.includes(":"))) };
}

const q = (s: string) => JSON.stringify(s);
const netComment = (n: FirewallNetwork) => `comment ${q(`network:${n.id}`)}`;

function family(cidrOrIp: string): "ip" | "ip6" {
  return cidrOrIp.includes(":") ? "ip6" : "ip";
}

function portRule(p: FirewallPort): string {
  const fam = family(p.address);
  const match =
    p.hostIp === "" || p.hostIp === "0.0.0.0" || p.hostIp === "::"
      ? `meta nfproto ${fam === "ip" ? "ipv4" : "ipv6"}`
      : `${fam} daddr ${p.hostIp}`;
  const to = fam === "ip" ? `${p.address}:${p.port}` : `[${p.address}]:${p.port}`;
  return `${match} ${p.proto} dport ${p.hostPort} dnat ${fam} to ${to} comment ${q(`endpoint:${p.endpoint}`)}`;
}

/** The rules of each chain, in order. */
export function chains(plan: FirewallPlan): Record<"forward" | "ports" | "postrouting", string[]> {
  const forward: string[] = ["ct state established,related accept", "ct status dnat accept"];
  const postrouting: string[] = [];
  for (const n of plan.networks) {
    const c = netComment(n);
    if (n.internal) {
      forward.push(`iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop ${c}`);
      forward.push(`oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop ${c}`);
    } else {
      forward.push(`iifname ${q(n.bridge)} oifname @bridges oifname != ${q(n.bridge)} drop ${c}`);
    }
    if (!n.icc) forward.push(`iifname ${q(n.bridge)} oifname ${q(n.bridge)} drop ${c}`);
    if (n.internal) continue;
    postrouting.push(`oifname ${q(n.bridge)} fib saddr type local masquerade ${c}`);
    if (n.masquerade)
      for (const s of n.subnets) postrouting.push(`${family(s)} saddr ${s} oifname != ${q(n.bridge)} masquerade ${c}`);
  }
  for (const p of plan.ports) {
    const fam = family(p.address);
    // A container reaching its own published port: the reply must come back through the host.
    postrouting.push(
      `${fam} saddr ${p.address} ${fam} daddr ${p.address} ${p.proto} dport ${p.port} masquerade comment ${q(`endpoint:${p.endpoint}`)}`,
    );
  }
  return { forward, ports: plan.ports.map(portRule), postrouting };
}

/**
 * The `nft -f` script that makes the table exactly the plan's, atomically: declare it (so the delete
 * cannot fail), delete it, define it anew; with no network to serve, only the first two, which
 * removes it.
 */
export function rulesetText(plan: FirewallPlan): string {
  const t = `inet ${plan.table}`;
  const head = [`table ${t} {}`, `delete table ${t}`];
  if (plan.networks.length === 0) return head.join("\n") + "\n";
  const c = chains(plan);
  const body = (rules: string[]) => rules.map((r) => `\t\t${r}`);
  const bridges = plan.networks.map((n) => q(n.bridge)).join(", ");
  return [
    ...head,
    `table ${t} {`,
    `\tset bridges {`,
    `\t\ttype ifname`,
    `\t\telements = { ${bridges} }`,
    `\t}`,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    ...body(c.forward),
    `\t}`,
    `\tchain prerouting {`,
    `\t\ttype nat hook prerouting priority dstnat; policy accept;`,
    `\t\tfib daddr type local jump ports`,
    `\t}`,
    `\tchain output {`,
    `\t\ttype nat hook output priority -100; policy accept;`,
    `\t\tfib daddr type local jump ports`,
    `\t}`,
    `\tchain ports {`,
    ...body(c.ports),
    `\t}`,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    ...body(c.postrouting),
    `\t}`,
    `}`,
  ].join("\n") + "\n";
}

/** The entity a rule's comment names, or undefined for a rule netledger did not write. */
export function ruleOwner(comment: string | undefined): { kind: "network" | "endpoint"; id: string } | undefined {
  const m = /^(network|endpoint):([0-9a-f]{64})$/.exec(comment ?? "");
  return m ? { kind: m[1] as "network" | "endpoint", id: m[2]! } : undefined;
}
