import * as C from "../collection.js";
import type { RemoteEndpoint } from "../dnsRecords.js";
import type { ClusterState } from "./state.js";

/**
 * The embedded DNS server's records for endpoints on other nodes, as a projection of the cluster state
 * (libnetwork spread its service records through its gossip table, one per joined container): every
 * endpoint of a global network that lives on another alive node, with the names its node gave it in
 * `global.endpoint.created` (an older event without them: its endpoint name). Pure: the same cluster
 * state gives the same records on every node; the node's own endpoints come from its local state.
 * `networks`: only endpoints of these (the networks whose DNS server runs here; the rest are never asked).
 */
export function dnsPeers(s: ClusterState, self: string, networks?: ReadonlySet<string>): RemoteEndpoint[] {
  const out: RemoteEndpoint[] = [];
  // Only the networks a DNS server here answers for: none, and nothing is walked.
  if (networks?.size === 0) return out;
  for (const ep of C.values(s.endpoints)) {
    if (networks && !networks.has(ep.network)) continue;
    const node = s.nodes[ep.node];
    if (ep.node === self || !node || node.state !== "alive" || !s.networks[ep.network]) continue;
    out.push({ network: ep.network, address: ep.address, names: ep.names ?? [ep.name] });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.network < b.network ? -1 : 1));
}
