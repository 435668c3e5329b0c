import { closeSync } from "node:fs";
import type { ifla, RtNetlinkSocket } from "netlink";
import { NetledgerError } from "../../domain/errors.js";
import { openNamespace } from "./setns.js";
import { deleteOffLoop as sendDeleteOffLoop } from "./unlink.js";

/**
 * Link work through rtnetlink from this process (the `netlink` package's native socket), as
 * libnetwork does with vishvananda/netlink: no process per step. The socket lives in the network
 * namespace of this process — the caller's — never the one sysfs was mounted in, so what it sees is
 * what `ip` run by the caller would see. It moves links into a sandbox's namespace (IFLA_NET_NS_FD);
 * what happens inside one goes through a socket opened there (namespaceLinks.ts). Deletes are sent
 * from the thread pool (unlink.ts) so that the kernel's clean-up does not hold the event loop.
 */

/** A link as the kernel describes it. */
export interface KernelLink {
  index: number;
  name: string;
  alias: string | undefined;
  /** "veth", "bridge"… (IFLA_INFO_KIND), undefined for plain devices. */
  kind: string | undefined;
  master: string | undefined;
  mac: string | undefined;
  mtu: number;
  up: boolean;
}

/** What can be set on a link in one request (libnetwork's netlink.LinkSetX calls, batched). */
export interface LinkChange {
  alias?: string;
  mtu?: number;
  /** MAC address, "aa:bb:cc:dd:ee:ff". */
  mac?: string;
  /** Index of the bridge to enslave the link to. */
  master?: number;
  up?: boolean;
  /** Move the link into the namespace at this path (renamed to `name` there when given). */
  netns?: string;
  name?: string;
}

export type NetlinkModule = typeof import("netlink");

interface Rtnl {
  lib: NetlinkModule;
  socket: RtNetlinkSocket;
}

let opened: Promise<Rtnl> | undefined;
let loaded: Promise<NetlinkModule> | undefined;

/** The package, loaded at first use (its generated codecs take 0.1–0.3 s to load). */
export function netlinkModule(): Promise<NetlinkModule> {
  loaded ??= import("netlink");
  return loaded;
}

/**
 * The process's rtnetlink socket, opened at first use; it does not keep the process alive. The
 * package is loaded then too (its generated codecs take 0.1–0.3 s to load), so a command that does not
 * touch the kernel never pays for it.
 */
function rtnl(): Promise<Rtnl> {
  opened ??= netlinkModule().then((lib) => {
    const socket = lib.createRtNetlink();
    oneAtATime(socket);
    return { lib, socket };
  });
  return opened;
}

/**
 * One request in flight on the socket at a time. The package groups the parts of a multipart answer
 * (a dump) in one buffer per socket, so a second request answered while a dump is still arriving cuts
 * the dump short ("Multipart message not terminated properly"). The kernel does the work while the
 * request is sent anyway, so queueing costs nothing.
 */
function oneAtATime(socket: RtNetlinkSocket): void {
  const raw = socket.socket;
  const send = raw.request.bind(raw);
  let tail: Promise<unknown> = Promise.resolve();
  raw.request = (...args: Parameters<typeof send>) => {
    const next = tail.then(() => send(...args));
    tail = next.catch(() => undefined);
    return next;
  };
}

async function nl(): Promise<RtNetlinkSocket> {
  return (await rtnl()).socket;
}

/** The errno name of a refused request ("ENODEV"), from the package's "Request rejected: CODE". */
export function errnoOf(e: unknown): string | undefined {
  return /Request rejected: (\w+)/.exec((e as Error)?.message ?? "")?.[1];
}

/** A refused request as a driver error a person can act on. */
export function failed(what: string, e: unknown): NetledgerError {
  const code = errnoOf(e);
  const hint = code === "EPERM" || code === "EACCES" ? " (this needs root: CAP_NET_ADMIN)" : "";
  return new NetledgerError("DriverError", `${what}: ${code ?? (e as Error).message}${hint}`);
}

/** Runs a request, a refusal turned into the driver error a person can act on (failed). */
export async function request<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw failed(what, e);
  }
}

const macText = (b: Buffer | undefined): string | undefined => (b && b.length === 6 ? [...b].map((x) => x.toString(16).padStart(2, "0")).join(":") : undefined);

export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new NetledgerError("InvalidParameter", `"${mac}" is not a MAC address`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function toLinks(lib: NetlinkModule, msgs: readonly { data: { index?: number; flags?: { up?: true } }; attrs: ifla.LinkAttrs }[]): KernelLink[] {
  const names = new Map(msgs.map((m) => [m.data.index ?? 0, m.attrs.ifname ?? ""]));
  return msgs.map((m) => ({
    index: m.data.index ?? 0,
    name: m.attrs.ifname ?? "",
    alias: m.attrs.ifalias || undefined,
    kind: m.attrs.linkinfo ? lib.ifla.parseInfo(m.attrs.linkinfo).kind : undefined,
    master: m.attrs.master !== undefined ? names.get(m.attrs.master) : undefined,
    mac: macText(m.attrs.address),
    mtu: m.attrs.mtu ?? 0,
    up: m.data.flags?.up === true,
  }));
}

/** Runs `fn` with a read-only descriptor of the namespace at `path` (closed after). */
async function withNamespaceFd<T>(path: string, fn: (fd: number) => Promise<T>): Promise<T> {
  const fd = openNamespace(path);
  try {
    return await fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** Links of the caller's namespace (those of a sandbox's: namespaceLinks.ts). */
export function listLinks(): Promise<KernelLink[]> {
  return request("list links", async () => {
    const { lib, socket } = await rtnl();
    return toLinks(lib, await socket.getLinks());
  });
}

/** The caller's link of this name, or undefined. */
export async function getLink(name: string): Promise<KernelLink | undefined> {
  try {
    const { lib, socket } = await rtnl();
    const msgs = await socket.getLink({}, { ifname: name });
    const master = msgs[0]?.attrs.master;
    // The master is named by index; its name is one more request.
    const masters = master !== undefined ? await socket.getLink({ index: master }).catch(() => []) : [];
    return toLinks(lib, [...msgs, ...masters])[0];
  } catch (e) {
    if (errnoOf(e) === "ENODEV") return undefined;
    throw failed(`look up link ${name}`, e);
  }
}

function changeAttrs(c: LinkChange, fd?: number): ifla.LinkAttrs {
  return {
    ...(c.alias !== undefined ? { ifalias: c.alias } : {}),
    ...(c.mtu ? { mtu: c.mtu } : {}),
    ...(c.mac ? { address: macBytes(c.mac) } : {}),
    ...(c.master !== undefined ? { master: c.master } : {}),
    ...(fd !== undefined ? { netNsFd: fd } : {}),
    ...(c.name !== undefined ? { ifname: c.name } : {}),
  };
}

export const upFlags = (up: boolean | undefined): { flags?: { up?: true }; change?: { up?: true } } =>
  up === undefined ? {} : { flags: up ? { up: true } : {}, change: { up: true } };

/** Changes the caller's link `index` in one request (RTM_NEWLINK without NLM_F_CREATE, as `ip link set` sends). */
export function setLink(index: number, c: LinkChange): Promise<void> {
  const send = async (fd?: number) => {
    await (await nl()).setLink({ index, ...upFlags(c.up) }, changeAttrs(c, fd));
  };
  const what = `set link ${index}${c.netns ? ` into ${c.netns}` : ""}`;
  return c.netns === undefined ? request(what, send) : withNamespaceFd(c.netns, (fd) => request(what, () => send(fd)));
}

/** Whether the caller's link `index` still exists. */
async function indexExists(index: number): Promise<boolean> {
  try {
    return (await (await nl()).getLink({ index })).length > 0;
  } catch (e) {
    if (errnoOf(e) === "ENODEV") return false;
    throw e;
  }
}

/**
 * Deletes the caller's link `index` off the event loop (unlink.ts): done once the link no longer
 * answers to its index or the kernel answers, whichever comes first. False when that is not available.
 */
async function deleteOffLoop(index: number): Promise<boolean> {
  const answer = sendDeleteOffLoop(index);
  if (!answer) return false;
  let settled: { error: string | undefined } | undefined;
  void answer.then((error) => (settled = { error }));
  for (;;) {
    await Promise.race([answer, new Promise((r) => setTimeout(r, 1))]);
    if (settled) {
      const { error } = settled;
      if (error !== undefined && errnoOf({ message: error }) !== "ENODEV") throw failed(`delete link ${index}`, new Error(error));
      return true;
    }
    if (!(await request(`look up link ${index}`, () => indexExists(index)))) return true;
  }
}

/** Deletes a link of the caller's namespace; one that is not there is success. */
export async function deleteLink(index: number): Promise<void> {
  if (await deleteOffLoop(index)) return;
  try {
    await (await nl()).delLink({ index });
  } catch (e) {
    if (errnoOf(e) !== "ENODEV") throw failed(`delete link ${index}`, e);
  }
}

const NLM_F_CREATE_EXCL = 0x400 | 0x200;
const VETH_INFO_PEER = 1;

export interface VethSpec {
  /** The end that stays in the caller's namespace: up, a port of `master`. */
  name: string;
  master?: number;
  /** The other end, made directly in the namespace at `peerNetns` under its final name. */
  peer: string;
  peerNetns: string;
  mtu?: number;
}

/**
 * Makes a veth pair whose peer is created inside the sandbox's namespace (IFLA_NET_NS_FD in the peer's
 * attributes) — no move, so no wait for the kernel to unregister it from one namespace first. The peer
 * cannot be set up in the same request (the kernel opens it before the pair is linked: ENOTCONN).
 */
export function addVeth(v: VethSpec): Promise<void> {
  return withNamespaceFd(v.peerNetns, (fd) =>
    request(`add veth ${v.name}`, async () => {
      const { lib, socket } = await rtnl();
      const peer = new lib.AttrStream();
      peer.emit(lib.rt.formatLink({}));
      peer.emit(lib.ifla.formatLinkAttrs({ ifname: v.peer, netNsFd: fd, ...(v.mtu ? { mtu: v.mtu } : {}) }));
      const data = new lib.AttrStream();
      data.push(VETH_INFO_PEER, peer.bufs);
      const info = new lib.AttrStream();
      info.emit(lib.ifla.formatInfo({ kind: "veth", data: Buffer.concat(data.bufs) }));
      await socket.newLink(
        { ...upFlags(true) },
        { ifname: v.name, linkinfo: Buffer.concat(info.bufs), ...(v.mtu ? { mtu: v.mtu } : {}), ...(v.master !== undefined ? { master: v.master } : {}) },
        { flags: NLM_F_CREATE_EXCL },
      );
    }),
  );
}
