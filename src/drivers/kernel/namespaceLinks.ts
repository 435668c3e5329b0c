import type { RtNetlinkSocket } from "netlink";
import { NetledgerError } from "../../domain/errors.js";
import { tryParseIp } from "../../domain/ipam/address.js";
import { errnoOf, failed, type KernelLink, macBytes, type NetlinkModule, netlinkModule, request, toLinks, upFlags } from "./rtnetlink.js";
import { homeNamespaceFd, inNamespace, inNewNamespace } from "./setns.js";

/**
 * rtnetlink inside a sandbox's namespace, from this process: a socket opened there (setns.ts) takes
 * the requests only a process inside may make — address a link, route through it, set it up, move it
 * back out — as libnetwork's osl does with a netlink handle made in the namespace
 * (netlink.NewHandleAt). Each request is one that can be repeated (addresses and routes replaced), as
 * the effect layer requires. The socket is closed after each use: an open one would keep its
 * namespace alive after the namespace is unbound.
 */

export interface InsideRoute {
  /** CIDR, or "default". */
  destination: string;
  /** The next hop; none for a directly connected destination. */
  nextHop?: string | undefined;
}

/** A default route through each gateway given (one per family the interface has an address in). */
export function defaultRoutes(gateway?: string | null, gatewayIPv6?: string | null): InsideRoute[] {
  return [gateway, gatewayIPv6].filter((g): g is string => !!g).map((nextHop) => ({ destination: "default", nextHop }));
}

/** What a link already in the namespace under its final name is set to (osl's Interface options). */
export interface InsideConfig {
  name: string;
  alias?: string | undefined;
  mac?: string | null | undefined;
  mtu?: number | null | undefined;
  /** CIDR form, IPv4 or IPv6. */
  addresses: readonly string[];
  routes?: readonly InsideRoute[] | undefined;
}

const NLM_F_REPLACE = 0x100;
const NLM_F_CREATE = 0x400;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

interface Parsed {
  family: 2 | 10;
  bytes: Buffer;
  prefix: number;
}

function bytesOf(value: bigint, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i--, value >>= 8n) b[i] = Number(value & 0xffn);
  return b;
}

/** "10.0.0.2/24", "fd00::2/64" or a plain address (a host prefix) as the kernel's bytes. */
function parse(what: string, text: string): Parsed {
  const slash = text.indexOf("/");
  const ip = tryParseIp(slash < 0 ? text : text.slice(0, slash));
  const bits = ip?.family === 6 ? 128 : 32;
  const prefix = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > bits || (slash >= 0 && !/^\d{1,3}$/.test(text.slice(slash + 1))))
    throw new NetledgerError("InvalidParameter", `${what} "${text}" is not an IPv4 or IPv6 address in CIDR form`);
  return ip.family === 6 ? { family: 10, bytes: bytesOf(ip.value, 16), prefix } : { family: 2, bytes: bytesOf(ip.value, 4), prefix };
}

/** Checks a config before anything changes: a bad value is refused with nothing half made. */
export function checkInsideConfig(cfg: InsideConfig): void {
  for (const a of cfg.addresses) parse("address", a);
  for (const r of cfg.routes ?? []) {
    if (r.destination !== "default") parse("route destination", r.destination);
    if (r.nextHop !== undefined) parse("next hop", r.nextHop);
  }
  if (cfg.mac) macBytes(cfg.mac);
}

/** Runs `fn` with an rtnetlink socket opened in the namespace at `path` (or in a new one bound there). */
async function withSocket<T>(path: string, fn: (s: RtNetlinkSocket, lib: NetlinkModule) => Promise<T>, fresh = false): Promise<T> {
  const lib = await netlinkModule();
  const open = () => lib.createRtNetlink();
  const socket = fresh ? inNewNamespace(path, open) : inNamespace(path, open);
  try {
    return await fn(socket, lib);
  } finally {
    socket.socket.close();
  }
}

async function linkNamed(s: RtNetlinkSocket, name: string, nsPath: string): Promise<number> {
  try {
    const [m] = await s.getLink({}, { ifname: name });
    if (m?.data.index !== undefined) return m.data.index;
  } catch (e) {
    if (errnoOf(e) !== "ENODEV") throw failed(`look up ${name} in ${nsPath}`, e);
  }
  throw new NetledgerError("NotFound", `link ${name} does not exist in namespace ${nsPath}`);
}

/**
 * Sets a link in the namespace to `cfg`: alias, MAC, MTU and up in one request; then each address
 * (`ip addr replace`; IPv6 without duplicate detection, as Docker's), then each route (`ip route replace`).
 */
export async function configureInside(nsPath: string, cfg: InsideConfig): Promise<void> {
  checkInsideConfig(cfg);
  await withSocket(nsPath, async (s) => {
    const index = await linkNamed(s, cfg.name, nsPath);
    const attrs = {
      ...(cfg.alias ? { ifalias: cfg.alias } : {}),
      ...(cfg.mac ? { address: macBytes(cfg.mac) } : {}),
      ...(cfg.mtu ? { mtu: cfg.mtu } : {}),
    };
    await request(`set ${cfg.name} up in ${nsPath}`, () => s.setLink({ index, ...upFlags(true) }, attrs));
    for (const text of cfg.addresses) {
      const a = parse("address", text);
      const data = { family: a.family, prefixlen: a.prefix, index, scope: RT_SCOPE_UNIVERSE, ...(a.family === 10 ? { flags: { nodad: true as const } } : {}) };
      await request(`address ${cfg.name} with ${text} in ${nsPath}`, () =>
        s.newAddress(data, { local: a.bytes, address: a.bytes }, { flags: NLM_F_CREATE | NLM_F_REPLACE }),
      );
    }
    for (const r of cfg.routes ?? []) {
      const via = r.nextHop !== undefined ? parse("next hop", r.nextHop) : undefined;
      const dst = r.destination === "default" ? undefined : parse("route destination", r.destination);
      const family = dst?.family ?? via?.family ?? 2;
      const data = {
        family,
        dstLen: dst?.prefix ?? 0,
        table: RT_TABLE_MAIN,
        protocol: RTPROT_BOOT,
        scope: via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
        type: RTN_UNICAST,
      };
      const attrs = { oif: index, ...(dst ? { dst: dst.bytes } : {}), ...(via ? { gateway: via.bytes } : {}) };
      await request(`route ${r.destination}${r.nextHop ? ` via ${r.nextHop}` : ""} through ${cfg.name} in ${nsPath}`, () =>
        s.newRoute(data, attrs, { flags: NLM_F_CREATE | NLM_F_REPLACE }),
      );
    }
  });
}

/** Moves the link `name` out of the namespace to this process's own, renamed `to` there (a move takes it down). */
export async function moveOut(nsPath: string, name: string, to: string): Promise<void> {
  await withSocket(nsPath, async (s) => {
    const index = await linkNamed(s, name, nsPath);
    await request(`move ${name} out of ${nsPath}`, () => s.setLink({ index }, { netNsFd: homeNamespaceFd(), ifname: to }));
  });
}

/** Every link in the namespace at `nsPath`. */
export async function linksInside(nsPath: string): Promise<KernelLink[]> {
  return withSocket(nsPath, async (s, lib) => toLinks(lib, await request(`list links in ${nsPath}`, () => s.getLinks())));
}

/** Deletes the link `index` of the namespace at `nsPath`; one that is not there is success. */
export async function deleteInside(nsPath: string, index: number): Promise<void> {
  await withSocket(nsPath, async (s) => {
    try {
      await s.delLink({ index });
    } catch (e) {
      if (errnoOf(e) !== "ENODEV") throw failed(`delete link ${index} in ${nsPath}`, e);
    }
  });
}

/** Sets loopback up in the namespace at `nsPath`; with `fresh`, a new namespace is made and bound there first. */
export async function loopbackUp(nsPath: string, fresh: boolean): Promise<void> {
  await withSocket(
    nsPath,
    async (s) => {
      const index = await linkNamed(s, "lo", nsPath);
      await request(`set lo up in ${nsPath}`, () => s.setLink({ index, ...upFlags(true) }, {}));
    },
    fresh,
  );
}
