import type { Garbage, GarbageCollector } from "../contract.js";
import { attempt } from "../gcAttempt.js";
import { listLinks } from "../kernel/rtnetlink.js";
import { parseOwnerAlias } from "../netns/ownership.js";
import { applyDiff, diffEntries, kernelEntries, type PeerTable } from "./peers.js";

/**
 * The overlay driver's garbage: forwarding and neighbour entries on this database's VXLAN devices that
 * the cluster's peer table does not name (an endpoint gone, a node reclaimed), and entries it names
 * that are missing or wrong. Its links (bridges, VXLAN devices, veth host ends) carry ownership
 * aliases and are the bridge driver's collector's to find, like every host link of this database.
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
  return {
    async find() {
      // Without the cluster's view (not a node) nothing can be judged: nothing is reported.
      if (!table.view) return [];
      const found: Garbage[] = [];
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
      const devs = new Set(found.filter((g) => g.kind === "overlay-peer").map((g) => g.where!));
      for (const dev of devs) {
        const network = (await devices()).find((d) => d.dev === dev)?.network;
        if (network) await attempt(errors, dev, async () => applyDiff(dev, diffEntries(table.wanted(network), await kernelEntries(dev))));
      }
      return errors;
    },
  };
}
