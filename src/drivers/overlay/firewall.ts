import { readFileSync, writeFileSync } from "node:fs";
import { applyRuleset } from "../bridge/nftables.js";
import { run } from "../netns/exec.js";

/**
 * What keeps an overlay segment layer 2 now that its bridge carries the network's gateway address
 * (where the embedded DNS server answers, as libnetwork's overlay puts the gateway on the br0 of each
 * node's network namespace). With an address the node has a route into the subnet, so without these a
 * container of a bridge network on the node would be routed (and masqueraded) into the overlay:
 * - a table `inet netledger_ovl_<database>` whose forward chain drops what is routed between an overlay
 *   bridge (`nlo*`) and any link that is not one (bridged traffic, even through br_netfilter, has the
 *   same bridge on both sides, so it passes);
 * - IPv4 forwarding off on each overlay bridge, so nothing arriving from a segment is routed at all
 *   (one overlay network to another included).
 */
export const overlayTableName = (databaseId: string): string => `netledger_ovl_${databaseId.slice(0, 8)}`;

export function overlayRuleset(databaseId: string): string {
  const t = overlayTableName(databaseId);
  return [
    `add table inet ${t}`,
    `add chain inet ${t} forward { type filter hook forward priority filter - 1; policy accept; }`,
    `flush chain inet ${t} forward`,
    `add rule inet ${t} forward iifname "nlo*" oifname != "nlo*" drop`,
    `add rule inet ${t} forward oifname "nlo*" iifname != "nlo*" drop`,
    "",
  ].join("\n");
}

/** The table, made or made again (one atomic `nft -f`). */
export function ensureOverlayFirewall(databaseId: string): Promise<void> {
  return applyRuleset(overlayRuleset(databaseId));
}

/** The table gone with this database's last overlay bridge. */
export async function removeOverlayFirewall(databaseId: string): Promise<void> {
  await run("nft", ["delete", "table", "inet", overlayTableName(databaseId)]).catch(() => undefined);
}

/** No routing of what arrives on the bridge (per-link IPv4 forwarding). */
export function stopForwarding(bridge: string): void {
  const path = `/proc/sys/net/ipv4/conf/${bridge}/forwarding`;
  if (readFileSync(path, "utf8").trim() !== "0") writeFileSync(path, "0");
}
