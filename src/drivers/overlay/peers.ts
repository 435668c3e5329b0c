import type { OverlayPeer, OverlayView } from "../../domain/cluster/peers.js";
import { macFor } from "../bridge/names.js";
import { getLink } from "../kernel/rtnetlink.js";
import { run } from "../netns/exec.js";
import { vxlanName } from "./names.js";

/**
 * The kernel side of the overlay peer table: for each VXLAN device on this node, a permanent
 * forwarding entry (MAC → the remote node's underlay address) and a permanent neighbour entry
 * (IP → MAC) per endpoint of the network on another node, exactly the ones the cluster state's
 * projection names (src/domain/cluster/peers.ts) — no learning, no multicast. The device's `proxy`
 * flag answers ARP from the neighbour entries. Entries are diffed against what the kernel holds, so a
 * sync can be repeated and also removes what a reclaimed or departed endpoint left.
 */
export interface PeerEntry {
  mac: string;
  ip: string;
  dst: string;
}

export interface PeerDiff {
  add: PeerEntry[];
  /** Stale forwarding entries (by MAC) and neighbour entries (by IP). */
  dropMacs: string[];
  dropIps: string[];
}

export const entryOf = (p: OverlayPeer): PeerEntry => ({ mac: macFor(p.endpoint, p.address), ip: p.address, dst: p.nodeAddress });

interface FdbRow {
  mac: string;
  dst?: string;
  flags?: string[];
  state?: string;
}
interface NeighRow {
  dst: string;
  lladdr?: string;
}

/** What the kernel holds on the device: permanent unicast forwarding entries with a destination, and neighbours. */
export async function kernelEntries(dev: string): Promise<{ fdb: Map<string, string>; neigh: Map<string, string> }> {
  const [f, n] = await Promise.all([run("bridge", ["-j", "fdb", "show", "dev", dev]), run("ip", ["-j", "neigh", "show", "dev", dev])]);
  const fdb = new Map<string, string>();
  for (const r of JSON.parse(f.stdout || "[]") as FdbRow[]) if (r.dst && r.mac !== "00:00:00:00:00:00") fdb.set(r.mac.toLowerCase(), r.dst);
  const neigh = new Map<string, string>();
  for (const r of JSON.parse(n.stdout || "[]") as NeighRow[]) if (r.lladdr) neigh.set(r.dst, r.lladdr.toLowerCase());
  return { fdb, neigh };
}

/** The changes that make the kernel's entries the wanted ones. */
export function diffEntries(want: readonly PeerEntry[], have: { fdb: Map<string, string>; neigh: Map<string, string> }): PeerDiff {
  const add = want.filter((e) => have.fdb.get(e.mac) !== e.dst || have.neigh.get(e.ip) !== e.mac);
  const macs = new Set(want.map((e) => e.mac));
  const ips = new Set(want.map((e) => e.ip));
  return { add, dropMacs: [...have.fdb.keys()].filter((m) => !macs.has(m)), dropIps: [...have.neigh.keys()].filter((i) => !ips.has(i)) };
}

/** Applies a diff: one `bridge -batch` and one `ip -batch` process at most. */
export async function applyDiff(dev: string, d: PeerDiff): Promise<void> {
  const fdb = [
    ...d.dropMacs.map((m) => `fdb del ${m} dev ${dev} self`),
    ...d.add.map((e) => `fdb replace ${e.mac} dev ${dev} dst ${e.dst} self permanent`),
  ];
  const neigh = [
    ...d.dropIps.map((ip) => `neigh del ${ip} dev ${dev}`),
    ...d.add.map((e) => `neigh replace ${e.ip} lladdr ${e.mac} dev ${dev} nud permanent`),
  ];
  // -force: a delete of an entry already gone does not stop the rest.
  if (fdb.length) await run("bridge", ["-force", "-batch", "-"], { input: fdb.join("\n") + "\n" }).catch(ignoreGone);
  if (neigh.length) await run("ip", ["-force", "-batch", "-"], { input: neigh.join("\n") + "\n" }).catch(ignoreGone);
}

function ignoreGone(e: unknown): void {
  const text = (e as { stderr?: string }).stderr ?? "";
  const lines = text.split("\n").filter((l) => l.trim() && !/No such file|Cannot find device|RTNETLINK answers: No such|Command failed/.test(l));
  if (lines.length > 0) throw e;
}

/**
 * The latest projection of the cluster state, kept by the driver, and the syncs made from it. A sync
 * runs for each network whose VXLAN device exists on this node; a device made later is synced by the
 * Join that makes it.
 */
export class PeerTable {
  private current: OverlayView | undefined;
  private arrived: () => void = () => undefined;
  private readonly first = new Promise<void>((r) => (this.arrived = r));

  get view(): OverlayView | undefined {
    return this.current;
  }

  set view(v: OverlayView | undefined) {
    this.current = v;
    if (v) this.arrived();
  }

  /**
   * Waits (at most `ms`) for the cluster node's first view: effects taken over when the log opens run
   * before the node attaches, and a Join needs this node's underlay address.
   */
  async ready(ms: number, signal?: AbortSignal): Promise<OverlayView | undefined> {
    if (this.current) return this.current;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.first,
      new Promise<void>((r) => {
        timer = setTimeout(r, ms);
        timer.unref();
        signal?.addEventListener("abort", () => r(), { once: true });
      }),
    ]);
    clearTimeout(timer);
    return this.current;
  }

  /** The entries wanted on a network's device. */
  wanted(networkId: string): PeerEntry[] {
    return (this.view?.networks[networkId]?.peers ?? []).map(entryOf);
  }

  async syncNetwork(networkId: string): Promise<void> {
    const dev = vxlanName(networkId);
    if (!(await getLink(dev))) return;
    await applyDiff(dev, diffEntries(this.wanted(networkId), await kernelEntries(dev)));
  }
}
