import { produce } from "immer";
import { knownSubnet } from "../ipam/address.js";
import { globalAddressSpace } from "../ipam/defaults.js";
import { claimAddress, newPoolAllocator, type PoolRecord, releaseAddress } from "../ipam/pool.js";
import * as C from "../collection.js";
import { type Collection, emptyCollection } from "../collection.js";
import { markSubnet, type SubnetIndex, unmarkSubnet } from "../ipam/subnets.js";
import type { ClusterNewEvent } from "./events.js";

/**
 * The global part of the state: the fold of the cluster log. Every node folds the same log, so every
 * node holds the same value and the same state hash. Pools use the default IPAM's allocator
 * (src/domain/ipam), so global addresses are chosen with the same serial allocation as local ones.
 */
export interface ClusterNode {
  name: string;
  address: string;
  state: "alive" | "lost";
  /** Seq of the event that last changed it. */
  since: number;
}

export interface GlobalNetwork {
  id: string;
  name: string;
  driver: string;
  pool: string;
  subnet: string;
  gateway: string;
  labels: Record<string, string>;
  options?: Record<string, string>;
  internal?: boolean;
  /** An overlay network's VXLAN id. */
  vni?: number;
  endpoints: number;
}

export interface GlobalEndpoint {
  id: string;
  name: string;
  network: string;
  node: string;
  address: string;
  /** Its DNS names, its PTR name first (global.endpoint.created's `names`; absent in older logs). */
  names?: string[];
}

export interface ClusterState {
  /** Seq of the last event folded (0: none). */
  seq: number;
  nodes: Record<string, ClusterNode>;
  networks: Record<string, GlobalNetwork>;
  /** Tries (src/domain/collection.ts), so that folding an event copies a few small nodes, not every endpoint. */
  endpoints: Collection<GlobalEndpoint>;
  /** `network/name` → endpoint id: names are unique in a network. */
  endpointNames: Collection<string>;
  /** node → its endpoints' ids: what a reclaim removes. */
  nodeEndpoints: Record<string, Collection<1>>;
  pools: Record<string, PoolRecord>;
  subnets: SubnetIndex;
}

/** The entities the global part holds (what a snapshot of it rewrites): nodes, networks and endpoints. */
export function clusterEntities(s: ClusterState): number {
  return Object.keys(s.nodes).length + Object.keys(s.networks).length + s.endpoints.size;
}

export function emptyClusterState(): ClusterState {
  return { seq: 0, nodes: {}, networks: {}, endpoints: emptyCollection(), endpointNames: emptyCollection(), nodeEndpoints: {}, pools: {}, subnets: emptyCollection() };
}

/** Applies one event to a draft (or a private mutable value); the event was decided against it. */
export function evolveCluster(s: ClusterState, e: ClusterNewEvent, seq: number): void {
  s.seq = seq;
  switch (e.type) {
    case "global.node.joined":
      s.nodes[e.data.name] = { name: e.data.name, address: e.data.address, state: "alive", since: seq };
      return;
    case "global.node.lost": {
      if (e.data.removed) delete s.nodes[e.data.name];
      else {
        const n = s.nodes[e.data.name];
        if (n) Object.assign(n, { state: "lost", since: seq });
      }
      return;
    }
    case "global.network.created": {
      const d = e.data;
      const subnet = knownSubnet(d.subnet);
      const pool: PoolRecord = {
        id: d.pool,
        driver: "default",
        addressSpace: globalAddressSpace,
        family: subnet.family,
        subnet: d.subnet,
        ipRange: null,
        gateway: d.gateway,
        aux: {},
        data: {},
        allocator: newPoolAllocator(subnet, null),
      };
      claimAddress(pool, d.gateway, false);
      s.pools[d.pool] = pool;
      markSubnet(s.subnets, globalAddressSpace, subnet, d.id);
      s.networks[d.id] = { id: d.id, name: d.name, driver: d.driver, pool: d.pool, subnet: d.subnet, gateway: d.gateway, labels: d.labels, endpoints: 0 };
      const n = s.networks[d.id]!;
      if (d.options) n.options = d.options;
      if (d.internal !== undefined) n.internal = d.internal;
      if (d.vni !== undefined) n.vni = d.vni;
      return;
    }
    case "global.network.deleted": {
      const n = s.networks[e.data.id];
      if (!n) return;
      unmarkSubnet(s.subnets, globalAddressSpace, knownSubnet(n.subnet));
      delete s.pools[n.pool];
      delete s.networks[n.id];
      return;
    }
    case "global.endpoint.created": {
      const d = e.data;
      const n = s.networks[d.network]!;
      claimAddress(s.pools[n.pool]!, d.address, true);
      n.endpoints++;
      C.set(s.endpoints, d.id, { id: d.id, name: d.name, network: d.network, node: d.node, address: d.address, ...(d.names ? { names: d.names } : {}) });
      C.set(s.endpointNames, `${d.network}/${d.name}`, d.id);
      C.set((s.nodeEndpoints[d.node] ??= emptyCollection()), d.id, 1);
      return;
    }
    case "global.endpoint.deleted": {
      const ep = C.get(s.endpoints, e.data.id);
      if (!ep) return;
      const n = s.networks[ep.network]!;
      releaseAddress(s.pools[n.pool]!, ep.address);
      n.endpoints--;
      C.remove(s.endpoints, ep.id);
      C.remove(s.endpointNames, `${ep.network}/${ep.name}`);
      const mine = s.nodeEndpoints[ep.node]!;
      C.remove(mine, ep.id);
      if (mine.size === 0) delete s.nodeEndpoints[ep.node];
      return;
    }
  }
}

/** A new state with the events applied, sharing what they did not touch (immer). */
export function foldCluster(s: ClusterState, events: readonly { event: ClusterNewEvent; seq: number }[]): ClusterState {
  if (events.length === 0) return s;
  return produce(s, (d) => {
    for (const { event, seq } of events) evolveCluster(d, event, seq);
  });
}

export const globalEndpoint = (s: ClusterState, id: string): GlobalEndpoint | undefined => C.get(s.endpoints, id);
export const globalEndpoints = (s: ClusterState): GlobalEndpoint[] => [...C.values(s.endpoints)];
/** The ids of a node's endpoints, sorted (a reclaim removes them in this order). */
export const endpointsOfNode = (s: ClusterState, node: string): string[] => {
  const c = s.nodeEndpoints[node];
  return c ? C.keys(c).sort() : [];
};
