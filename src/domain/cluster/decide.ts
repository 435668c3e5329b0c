import { conflict, exhausted, forbidden, invalid, NetledgerError, notFound } from "../errors.js";
import { addressAt, contains, ipText, parseIp, parseSubnet, reservedRole } from "../ipam/address.js";
import { defaultPoolId, isTaken, peekAddress } from "../ipam/pool.js";
import { describeDefaults, firstFreeDefaultPool, globalAddressSpace } from "../ipam/defaults.js";
import { findOverlap } from "../ipam/subnets.js";
import type { ClusterCommand, ClusterNewEvent } from "./events.js";
import * as C from "../collection.js";
import { type ClusterState, endpointsOfNode, type GlobalEndpoint, type GlobalNetwork, globalEndpoint } from "./state.js";

/**
 * decide for the global part: what the cluster log should record for a command, judged against the
 * folded cluster state at the head the appender has seen. Pure: an append that finds the head moved
 * folds what it missed and calls this again (optimistic concurrency), so the same command may be
 * decided several times and only the decision at the true head is written.
 */
export function decideCluster(s: ClusterState, c: ClusterCommand): ClusterNewEvent[] {
  switch (c.type) {
    case "global.node.join": {
      const n = s.nodes[c.name];
      if (n && n.state === "alive" && n.address === c.address) return [];
      return [{ type: "global.node.joined", stream: `node:${c.name}`, data: { name: c.name, address: c.address } }];
    }
    case "global.node.lose": {
      const n = s.nodes[c.name];
      if (!n) throw notFound(`node ${c.name} is not a member of the cluster (see netledger node ls)`);
      if (n.state === "lost" && !c.removed) return [];
      // libnetwork left these in the store forever after a host died (libnetwork#786): here they go.
      const reclaimed: ClusterNewEvent[] = endpointsOfNode(s, c.name).map((id) => ({ type: "global.endpoint.deleted", stream: id, data: { id, reclaimed: true } }));
      return [...reclaimed, { type: "global.node.lost", stream: `node:${c.name}`, data: { name: c.name, by: c.by, removed: c.removed } }];
    }
    case "global.network.create": {
      if (s.networks[c.id]) throw conflict(`network ${c.id} already exists`);
      const same = Object.values(s.networks).find((n) => n.name === c.name);
      if (same) throw conflict(`a global network named ${c.name} already exists (${same.id.slice(0, 12)})`);
      const subnet = c.subnet ? parseSubnet(c.subnet, "--subnet") : firstFreeDefaultPool(s.subnets, globalAddressSpace);
      if (!subnet) throw exhausted(`no default pool of ${globalAddressSpace} is free (${describeDefaults(globalAddressSpace)}); give --subnet`);
      if (subnet.family !== 4) throw invalid(`global networks take an IPv4 subnet for now, not ${subnet.cidr}`);
      if (subnet.hostBits < 2) throw invalid(`subnet ${subnet.cidr} is too small for a gateway and an endpoint`);
      const overlap = findOverlap(s.subnets, globalAddressSpace, subnet);
      if (overlap) throw forbidden(`subnet ${subnet.cidr} overlaps ${overlap.subnet} of global network ${overlap.network.slice(0, 12)}`);
      const gateway = ipText(addressAt(subnet, 1n));
      const vni = c.vni === undefined ? undefined : pickVni(s, c.vni);
      return [
        {
          type: "global.network.created",
          stream: c.id,
          data: { id: c.id, name: c.name, driver: c.driver, pool: defaultPoolId(globalAddressSpace, subnet.cidr, null), subnet: subnet.cidr, gateway, labels: c.labels,
            ...(c.options ? { options: c.options } : {}),
            ...(c.internal !== undefined ? { internal: c.internal } : {}),
            ...(vni !== undefined ? { vni } : {}),
          },
        },
      ];
    }
    case "global.network.delete": {
      const n = findNetwork(s, c.network);
      if (n.endpoints > 0)
        throw new NetledgerError("ActiveEndpoints", `global network ${n.name} has ${n.endpoints} endpoint(s); delete them first`);
      return [{ type: "global.network.deleted", stream: n.id, data: { id: n.id } }];
    }
    case "global.endpoint.create": {
      if (C.has(s.endpoints, c.id)) throw conflict(`endpoint ${c.id} already exists`);
      const n = findNetwork(s, c.network);
      const node = s.nodes[c.node];
      if (!node || node.state !== "alive") throw forbidden(`node ${c.node} is not an alive member of the cluster`);
      if (C.has(s.endpointNames, `${n.id}/${c.name}`)) throw conflict(`endpoint with name ${c.name} already exists in network ${n.name}`);
      const pool = s.pools[n.pool]!;
      let address: string;
      if (c.address) {
        const ip = parseIp(c.address, "--ip");
        const sub = parseSubnet(n.subnet, "subnet");
        if (!contains(sub, ip)) throw invalid(`address ${c.address} is not in ${n.name}'s subnet ${n.subnet}`);
        if (reservedRole(sub, ip) || isTaken(pool, ip)) throw conflict(`address ${ipText(ip)} is already in use in ${n.name}`);
        address = ipText(ip);
      } else {
        const next = peekAddress(pool);
        if (!next) throw exhausted(`no address left in ${n.name}'s subnet ${n.subnet}`);
        address = next;
      }
      return [{ type: "global.endpoint.created", stream: c.id, data: { id: c.id, name: c.name, network: n.id, node: c.node, address, ...(c.names ? { names: c.names } : {}) } }];
    }
    case "global.endpoint.delete": {
      const ep = findEndpoint(s, c.endpoint);
      return [{ type: "global.endpoint.deleted", stream: ep.id, data: { id: ep.id, reclaimed: false } }];
    }
  }
}

/** A global network by id, unique id prefix or name. */
export function findNetwork(s: ClusterState, ref: string): GlobalNetwork {
  const n = s.networks[ref] ?? Object.values(s.networks).find((x) => x.name === ref);
  if (n) return n;
  const byPrefix = ref.length >= 1 ? Object.values(s.networks).filter((x) => x.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw invalid(`network id prefix ${ref} is ambiguous`);
  throw notFound(`global network ${ref} not found`);
}

export function findEndpoint(s: ClusterState, ref: string): GlobalEndpoint {
  const ep = globalEndpoint(s, ref);
  if (ep) return ep;
  const byPrefix = ref.length >= 3 ? C.keysWithPrefix(s.endpoints, ref) : [];
  if (byPrefix.length === 1) return globalEndpoint(s, byPrefix[0]!)!;
  throw notFound(`global endpoint ${ref} not found`);
}

/** Overlay VXLAN ids: libnetwork's overlay hands them out from 4096 up to 2^24 - 1. */
const vniFirst = 4096;
const vniLast = 16777215;

/** The VXLAN id asked for when no network holds it, or the lowest free one. */
function pickVni(s: ClusterState, want: number | "auto"): number {
  const used = new Set(Object.values(s.networks).map((n) => n.vni));
  if (want !== "auto") {
    const holder = Object.values(s.networks).find((n) => n.vni === want);
    if (holder) throw conflict(`VXLAN id ${want} is already used by global network ${holder.name}`);
    return want;
  }
  for (let v = vniFirst; v <= vniLast; v++) if (!used.has(v)) return v;
  throw exhausted(`no VXLAN id from ${vniFirst} to ${vniLast} is free`);
}
