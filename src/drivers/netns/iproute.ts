import { invalid, notFound } from "../../domain/errors.js";
import { checkInsideConfig, configureInside, defaultRoutes, type InsideConfig, linksInside } from "../kernel/namespaceLinks.js";
import { getLink, type KernelLink, listLinks as kernelLinks, setLink } from "../kernel/rtnetlink.js";
import { run } from "./exec.js";

/**
 * The link primitives of the sandbox layer (libnetwork's osl): links looked up, listed, moved and
 * configured through rtnetlink from this process — in the caller's namespace (kernel/rtnetlink.ts) or
 * through a socket opened inside a sandbox's (kernel/namespaceLinks.ts) — and `ip -batch` scripts for
 * the host-side setup of a network (a bridge, a VXLAN device), one process however many steps. The
 * remote driver places the interface a plugin names at Join with `placeInterface`. Every step is one
 * that can be repeated (`addr replace`, `route replace`).
 */

/** A link as listed: its name, owner alias, kind ("veth", "bridge"…), master, MAC, MTU, state. */
export type LinkInfo = KernelLink;

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

/** Whether a link of this name exists in the caller's namespace (rtnetlink; never sysfs, which shows its mounter's). */
export async function linkExists(name: string): Promise<boolean> {
  return (await getLink(checkIfname(name))) !== undefined;
}

/** A link's alias in the caller's namespace; undefined when the link does not exist or has none. */
export async function linkAlias(name: string): Promise<string | undefined> {
  return (await getLink(checkIfname(name)))?.alias;
}

/** Runs the lines as one `ip -batch` process, in the host's namespace or the one at `netns`. */
export async function ipBatch(lines: readonly string[], opts: { netns?: string; signal?: AbortSignal } = {}): Promise<void> {
  if (lines.length === 0) return;
  await run("ip", ["-batch", "-"], { input: lines.join("\n") + "\n", ...opts });
}

/** Every link in the caller's namespace or in the one at `netns` (rtnetlink; no process). */
export async function listLinks(opts: { netns?: string } = {}): Promise<LinkInfo[]> {
  return opts.netns === undefined ? kernelLinks() : linksInside(opts.netns);
}

// ---------------------------------------------------------------- batch lines: one step each

export const step = {
  addBridge: (name: string) => `link add name ${checkIfname(name)} type bridge`,
  mtu: (name: string, mtu: number) => `link set dev ${checkIfname(name)} mtu ${Math.trunc(mtu)}`,
  alias: (name: string, alias: string) => `link set dev ${checkIfname(name)} alias ${token("alias", alias)}`,
  master: (name: string, bridge: string) => `link set dev ${checkIfname(name)} master ${checkIfname(bridge)}`,
  up: (name: string) => `link set dev ${checkIfname(name)} up`,
  address: (name: string, cidr: string) =>
    `addr replace ${token("address", cidr)} dev ${checkIfname(name)}${isV6(cidr) ? " nodad" : ""}`,
};

/** The in-namespace part of an interface's placement: routes and default routes as one list. */
function insideConfig(cfg: InterfaceConfig): InsideConfig {
  return { name: cfg.name, addresses: cfg.addresses, routes: [...(cfg.routes ?? []), ...defaultRoutes(cfg.gateway, cfg.gatewayIPv6)] };
}

/**
 * libnetwork's osl AddInterface: the host link `srcName` given its alias, MAC and MTU and moved into the
 * namespace at `nsPath` under `cfg.name`, in one rtnetlink request; then set up, addressed and routed
 * through a socket opened inside the namespace (kernel/namespaceLinks.ts). No process either way.
 */
export async function placeInterface(srcName: string, nsPath: string, cfg: InterfaceConfig): Promise<void> {
  // Checked first: a bad value is refused before anything changes.
  const inside = insideConfig({ ...cfg, name: checkIfname(cfg.name) });
  checkInsideConfig(inside);
  const link = await getLink(checkIfname(srcName));
  if (!link) throw notFound(`link ${srcName} does not exist in this namespace`);
  await setLink(link.index, {
    ...(cfg.alias ? { alias: cfg.alias } : {}),
    ...(cfg.mac ? { mac: cfg.mac } : {}),
    ...(cfg.mtu ? { mtu: cfg.mtu } : {}),
    netns: nsPath,
    name: cfg.name,
  });
  await configureInside(nsPath, inside);
}
