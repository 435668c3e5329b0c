import { existsSync, readFileSync } from "node:fs";
import { invalid } from "../../domain/errors.js";
import { run } from "./exec.js";

/**
 * The link primitives of the sandbox layer (libnetwork's osl), through iproute2: list links, and build
 * and run `ip -batch` scripts that move a link into a namespace, rename it, and set its MAC, MTU,
 * addresses and routes. The bridge driver places its veth ends with them; the remote driver places the
 * interface a plugin names at Join with `placeInterface`. Each script is one process, however many
 * steps it has (a spawn costs far more than the kernel work: research/limits.md row 6a), and every step
 * is one that can be repeated (`addr replace`, `route replace`).
 */

export interface LinkInfo {
  name: string;
  alias: string | undefined;
  /** "veth", "bridge"… (from `ip -d`), undefined for plain devices. */
  kind: string | undefined;
  master: string | undefined;
  mac: string | undefined;
  mtu: number;
  up: boolean;
}

export interface Route {
  destination: string;
  /** The next hop; none for a route to a directly connected destination. */
  nextHop?: string;
}

/** What a link in a sandbox is set to once placed: libnetwork's osl Interface options. */
export interface InterfaceConfig {
  /** The name in the namespace (eth0, eth1…). */
  name: string;
  /** The owner alias (ownership.ts), so that a retry and `gc` can find the link. */
  alias?: string;
  mac?: string | null;
  mtu?: number | null;
  /** CIDR form, IPv4 or IPv6. */
  addresses: string[];
  /** Default routes through these gateways (plain addresses). */
  gateway?: string | null;
  gatewayIPv6?: string | null;
  routes?: Route[];
}

const ifnamePattern = /^[A-Za-z0-9_.:@-]{1,15}$/;
const tokenPattern = /^[^\s"'\\#]+$/;

/** A Linux interface name: at most 15 characters, nothing an `ip -batch` line would split on. */
export function checkIfname(name: string): string {
  if (!ifnamePattern.test(name)) throw invalid(`"${name}" is not a usable interface name (1–15 letters, digits, "_.:@-")`);
  return name;
}

function token(what: string, v: string): string {
  if (!tokenPattern.test(v)) throw invalid(`${what} "${v}" cannot be passed to ip: it holds spaces, quotes or "#"`);
  return v;
}

const isV6 = (addr: string): boolean => addr.includes(":");

/** Whether a link of this name exists in this process's namespace (sysfs, no process spawned). */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${checkIfname(name)}`);
}

/** A host link's alias, from sysfs; undefined when the link does not exist or has none. */
export function linkAlias(name: string): string | undefined {
  try {
    const a = readFileSync(`/sys/class/net/${checkIfname(name)}/ifalias`, "utf8").trim();
    return a === "" ? undefined : a;
  } catch {
    return undefined;
  }
}

/** Runs the lines as one `ip -batch` process, in the host's namespace or the one at `netns`. */
export async function ipBatch(lines: readonly string[], opts: { netns?: string; signal?: AbortSignal } = {}): Promise<void> {
  if (lines.length === 0) return;
  await run("ip", ["-batch", "-"], { input: lines.join("\n") + "\n", ...opts });
}

interface IpLinkJson {
  ifname: string;
  ifalias?: string;
  master?: string;
  address?: string;
  mtu: number;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}

/** Every link in the host's namespace or in the one at `netns` (one `ip -j -d link show`). */
export async function listLinks(opts: { netns?: string; signal?: AbortSignal } = {}): Promise<LinkInfo[]> {
  const { stdout } = await run("ip", ["-j", "-d", "link", "show"], opts);
  const links = JSON.parse(stdout || "[]") as IpLinkJson[];
  return links.map((l) => ({
    name: l.ifname,
    alias: l.ifalias || undefined,
    kind: l.linkinfo?.info_kind,
    master: l.master,
    mac: l.address,
    mtu: l.mtu,
    up: l.flags?.includes("UP") ?? false,
  }));
}

// ---------------------------------------------------------------- batch lines: one step each

export const step = {
  addBridge: (name: string) => `link add name ${checkIfname(name)} type bridge`,
  /** A veth pair whose peer is made directly in the namespace under its final name. */
  addVeth: (name: string, peer: string, nsPath: string, mtu?: number) => {
    const m = mtu ? ` mtu ${Math.trunc(mtu)}` : "";
    return `link add name ${checkIfname(name)}${m} type veth peer name ${checkIfname(peer)} netns ${token("namespace path", nsPath)}${m}`;
  },
  moveToNamespace: (name: string, nsPath: string) => `link set dev ${checkIfname(name)} netns ${token("namespace path", nsPath)}`,
  rename: (name: string, to: string) => `link set dev ${checkIfname(name)} name ${checkIfname(to)}`,
  mac: (name: string, mac: string) => `link set dev ${checkIfname(name)} address ${token("MAC address", mac)}`,
  mtu: (name: string, mtu: number) => `link set dev ${checkIfname(name)} mtu ${Math.trunc(mtu)}`,
  alias: (name: string, alias: string) => `link set dev ${checkIfname(name)} alias ${token("alias", alias)}`,
  master: (name: string, bridge: string) => `link set dev ${checkIfname(name)} master ${checkIfname(bridge)}`,
  up: (name: string) => `link set dev ${checkIfname(name)} up`,
  address: (name: string, cidr: string) =>
    `addr replace ${token("address", cidr)} dev ${checkIfname(name)}${isV6(cidr) ? " nodad" : ""}`,
  route: (name: string, r: Route) =>
    `route replace ${token("route destination", r.destination)}${r.nextHop ? ` via ${token("next hop", r.nextHop)}` : ""} dev ${checkIfname(name)}`,
  defaultRoute: (name: string, gateway: string) =>
    // ip takes the family from the gateway (a batch line cannot carry -6).
    `route replace default via ${token("gateway", gateway)} dev ${checkIfname(name)}`,
  delete: (name: string) => `link del dev ${checkIfname(name)}`,
};

/** The steps that configure a link already in the namespace under its final name, in the order they must run. */
function configureSteps(cfg: InterfaceConfig): string[] {
  const n = cfg.name;
  const lines: string[] = [];
  if (cfg.alias) lines.push(step.alias(n, cfg.alias));
  if (cfg.mac) lines.push(step.mac(n, cfg.mac));
  if (cfg.mtu) lines.push(step.mtu(n, cfg.mtu));
  for (const a of cfg.addresses) lines.push(step.address(n, a));
  lines.push(step.up(n));
  for (const r of cfg.routes ?? []) lines.push(step.route(n, r));
  if (cfg.gateway) lines.push(step.defaultRoute(n, cfg.gateway));
  if (cfg.gatewayIPv6) lines.push(step.defaultRoute(n, cfg.gatewayIPv6));
  return lines;
}

/**
 * libnetwork's osl AddInterface: moves the host link `srcName` into the namespace at `nsPath`, renames
 * it to `cfg.name` and configures it. Two processes: one in the host's namespace, one in the sandbox's.
 */
export async function placeInterface(srcName: string, nsPath: string, cfg: InterfaceConfig, signal?: AbortSignal): Promise<void> {
  const opts = signal ? { signal } : {};
  // Both scripts are built first: a bad value is refused before anything changes.
  const move = [step.moveToNamespace(srcName, nsPath)];
  const inside = [...(srcName !== cfg.name ? [step.rename(srcName, cfg.name)] : []), ...configureSteps(cfg)];
  await ipBatch(move, opts);
  await ipBatch(inside, { netns: nsPath, ...opts });
}
