import type { Garbage, GarbageCollector } from "../contract.js";
import { attempt } from "../gcAttempt.js";
import { listLinks } from "../kernel/rtnetlink.js";
import { parseOwnerAlias } from "../netns/ownership.js";
import { listTable } from "../bridge/nftables.js";
import { overlayTableName, removeOverlayFirewall } from "./firewall.js";
import { applyDiff, diffEntries, kernelEntries, type PeerTable } from "./peers.js";

/**
 * The overlay driver's garbage: forwarding and neighbour entries on this database's VXLAN devices that
 * the cluster's peer table does not name (an endpoint gone, a node reclaimed), and entries it names
 * that are missing or wrong. Its links (bridges, VXLAN devices, veth host ends) carry ownership
 * aliases and are the bridge driver's collector's to find, like every host link of this database.
 * Its firewall table (firewall.ts) is garbage when no overlay bridge of this database is left.
 */
export function overlayGarbage(databaseId: string, table: PeerTable): GarbageCollector {
  async function devices(): Promise<{ dev: string; network: string }[]> {
    const out: { dev: string; network: string }[] = [];
    for (const l of await listLinks()) {
      const o = parseOwnerAlias(l.alias);
      if (l.kind === "vxlan" && o?.databaseId === databaseId && o.kind === "network") out.push({ dev: l.name, network: o.id });
    }
    return out;
  }
  const hasBridges = async (): Promise<boolean> =>
    (await listLinks()).some((l) => l.kind === "bridge" && l.name.startsWith("nlo") && parseOwnerAlias(l.alias)?.databaseId === databaseId);
  return {
    async find() {
      const found: Garbage[] = [];
      const name = overlayTableName(databaseId);
      if (!(await hasBridges()) && (await listTable(name))) found.push({ kind: "nftables-table", name: `inet ${name}`, reason: "no overlay network of this database has a bridge here" });
      // Without the cluster's view (not a node) no peer entry can be judged: none is reported.
      if (!table.view) return found;
      for (const { dev, network } of await devices()) {
        const d = diffEntries(table.wanted(network), await kernelEntries(dev));
        for (const m of d.dropMacs) found.push({ kind: "overlay-peer", name: `fdb ${m}`, where: dev, reason: "no endpoint on another node has this MAC" });
        for (const ip of d.dropIps) found.push({ kind: "overlay-peer", name: `neigh ${ip}`, where: dev, reason: "no endpoint on another node has this address" });
        for (const e of d.add) found.push({ kind: "overlay-peer", name: `missing ${e.ip} ${e.mac} via ${e.dst}`, where: dev, reason: "the cluster names this peer and the device lacks it" });
      }
      return found;
    },
    async remove(_ctx, found) {
      const errors: string[] = [];
      // Looked at again: a Join may have made a bridge (and the table with it) since.
      if (found.some((g) => g.kind === "nftables-table") && !(await hasBridges())) await attempt(errors, "overlay firewall", () => removeOverlayFirewall(databaseId));
      const devs = new Set(found.filter((g) => g.kind === "overlay-peer").map((g) => g.where!));
      for (const dev of devs) {
        const network = (await devices()).find((d) => d.dev === dev)?.network;
        if (network) await attempt(errors, dev, async () => applyDiff(dev, diffEntries(table.wanted(network), await kernelEntries(dev))));
      }
      return errors;
    },
  };
}
