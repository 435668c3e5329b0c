import * as C from "../collection.js";
import type { ClusterState } from "./state.js";

/**
 * The overlay peer table as a projection of the cluster state (libnetwork kept it in its gossip
 * database): for each overlay network, every endpoint that lives on another alive node, with that
 * node's underlay address. The driver turns each into a forwarding entry (MAC → node) and a neighbour
 * entry (IP → MAC) on the network's VXLAN device. Pure: the same state gives the same table on every node.
 */
export interface OverlayPeer {
  endpoint: string;
  /** Plain IPv4 address. */
  address: string;
  /** The underlay address of the node the endpoint lives on. */
  nodeAddress: string;
}

export interface OverlayView {
  /** This node's own underlay address (--advertise-addr): the VXLAN devices' local address. */
  localAddress: string;
  /** network id → its VXLAN id and the peers on other nodes. */
  networks: Record<string, { vni: number; peers: OverlayPeer[] }>;
}

export function overlayView(s: ClusterState, self: string, localAddress: string): OverlayView {
  const networks: OverlayView["networks"] = {};
  for (const n of Object.values(s.networks)) if (n.vni !== undefined) networks[n.id] = { vni: n.vni, peers: [] };
  // Without an overlay network no endpoint is a peer: the walk over every endpoint is skipped.
  if (Object.keys(networks).length === 0) return { localAddress, networks };
  for (const ep of C.values(s.endpoints)) {
    const net = networks[ep.network];
    const node = s.nodes[ep.node];
    if (!net || ep.node === self || !node || node.state !== "alive") continue;
    net.peers.push({ endpoint: ep.id, address: ep.address, nodeAddress: node.address });
  }
  for (const n of Object.values(networks)) n.peers.sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1));
  return { localAddress, networks };
}

/**
 * Which node of the cluster a database is, judged from the cluster state alone, for a process that is
 * not the node (a one-shot `gc` reading the node's copy of the log): the node its own endpoints live
 * on, else the node (an alive one first) whose address is the VXLAN device's local address.
 */
export function selfNode(s: ClusterState, ownEndpoints: Iterable<string>, address: string): string | undefined {
  for (const id of ownEndpoints) {
    const ep = C.get(s.endpoints, id);
    if (ep) return ep.node;
  }
  const at = Object.values(s.nodes).filter((n) => n.address === address);
  return (at.find((n) => n.state === "alive") ?? at[0])?.name;
}
