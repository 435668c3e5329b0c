import * as C from "../../domain/collection.js";
import { overlayView, selfNode } from "../../domain/cluster/peers.js";
import type { Garbage, GarbageCollector, GcContext } from "../contract.js";
import { attempt } from "../gcAttempt.js";
import { listLinks } from "../kernel/rtnetlink.js";
import { run } from "../netns/exec.js";
import { parseOwnerAlias } from "../netns/ownership.js";
import { listTable } from "../bridge/nftables.js";
import { overlayTableName, removeOverlayFirewall } from "./firewall.js";
import { applyDiff, diffEntries, entryOf, kernelEntries, type PeerEntry, type PeerTable } from "./peers.js";

/** A VXLAN device of this database and the network it carries. */
interface Device {
  dev: string;
  network: string;
}

/**
 * The overlay driver's garbage: forwarding and neighbour entries on this database's VXLAN devices that
 * the cluster's peer table does not name (an endpoint gone, a node reclaimed), and entries it names
 * that are missing or wrong. Its links (bridges, VXLAN devices, veth host ends) carry ownership
 * aliases and are the bridge driver's collector's to find, like every host link of this database.
 *
 * The table is the running node's (the daemon's gc); a process that is not the node (the one-shot
 * CLI) is given the node's copy of the cluster state instead and works out the same table from it,
 * taking as this node the one its own endpoints live on (else the one at the device's local address).
 * Its firewall table (firewall.ts) is garbage when no overlay bridge of this database is left.
 */
export function overlayGarbage(databaseId: string, table: PeerTable): GarbageCollector {
  async function devices(): Promise<Device[]> {
    const out: Device[] = [];
    for (const l of await listLinks()) {
      const o = parseOwnerAlias(l.alias);
      if (l.kind === "vxlan" && o?.databaseId === databaseId && o.kind === "network") out.push({ dev: l.name, network: o.id });
    }
    return out;
  }
  const hasBridges = async (): Promise<boolean> =>
    (await listLinks()).some((l) => l.kind === "bridge" && l.name.startsWith("nlo") && parseOwnerAlias(l.alias)?.databaseId === databaseId);

  /** The entries the device should hold, or undefined when nothing can be judged (no cluster view). */
  async function wanted(ctx: GcContext, d: Device): Promise<PeerEntry[] | undefined> {
    if (table.view) return table.wanted(d.network);
    if (!ctx.cluster) return undefined;
    const local = await vxlanLocal(d.dev);
    const self = selfNode(ctx.cluster, C.keys(ctx.state.endpoints), local) ?? "";
    return (overlayView(ctx.cluster, self, local).networks[d.network]?.peers ?? []).map(entryOf);
  }

  return {
    async find(ctx) {
      const found: Garbage[] = [];
      const name = overlayTableName(databaseId);
      if (!(await hasBridges()) && (await listTable(name))) found.push({ kind: "nftables-table", name: `inet ${name}`, reason: "no overlay network of this database has a bridge here" });
      for (const device of await devices()) {
        const want = await wanted(ctx, device);
        // Without the cluster's view (never a node) nothing can be judged: nothing is reported.
        if (!want) continue;
        const dev = device.dev;
        const d = diffEntries(want, await kernelEntries(dev));
        for (const m of d.dropMacs) found.push({ kind: "overlay-peer", name: `fdb ${m}`, where: dev, reason: "no endpoint on another node has this MAC" });
        for (const ip of d.dropIps) found.push({ kind: "overlay-peer", name: `neigh ${ip}`, where: dev, reason: "no endpoint on another node has this address" });
        for (const e of d.add) found.push({ kind: "overlay-peer", name: `missing ${e.ip} ${e.mac} via ${e.dst}`, where: dev, reason: "the cluster names this peer and the device lacks it" });
      }
      return found;
    },
    async remove(ctx, found) {
      const errors: string[] = [];
      // Looked at again: a Join may have made a bridge (and the table with it) since.
      if (found.some((g) => g.kind === "nftables-table") && !(await hasBridges())) await attempt(errors, "overlay firewall", () => removeOverlayFirewall(databaseId));
      const devs = new Set(found.filter((g) => g.kind === "overlay-peer").map((g) => g.where!));
      for (const device of (await devices()).filter((d) => devs.has(d.dev)))
        await attempt(errors, device.dev, async () => {
          const want = await wanted(ctx, device);
          if (want) await applyDiff(device.dev, diffEntries(want, await kernelEntries(device.dev)));
        });
      return errors;
    },
  };
}

/** The device's local (underlay) address, as it was made (`local` = the node's --advertise-addr). */
async function vxlanLocal(dev: string): Promise<string> {
  const r = await run("ip", ["-j", "-d", "link", "show", "dev", dev]);
  const [l] = JSON.parse(r.stdout || "[]") as { linkinfo?: { info_data?: { local?: string } } }[];
  return l?.linkinfo?.info_data?.local ?? "";
}
