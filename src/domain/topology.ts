import type { StateView } from "./views.js";

/**
 * The state as a graph for `netledger topology`: each network with its endpoints, and each endpoint
 * with the sandbox it has joined (libnetwork's Network → Endpoint → Sandbox). Sandboxes joined to no
 * endpoint are listed apart. Built from the views, so it shows what they show.
 */
export interface TopologySandbox {
  id: string;
  containerId: string;
  /** The namespace path, or null for the host's namespace. */
  key: string | null;
  state: string;
}

export interface TopologyEndpoint {
  id: string;
  name: string;
  ipv4: string | null;
  ipv6: string | null;
  mac: string | null;
  state: string;
  sandbox: TopologySandbox | null;
}

export interface TopologyNetwork {
  id: string;
  name: string;
  driver: string;
  state: string;
  subnets: string[];
  endpoints: TopologyEndpoint[];
}

export interface Topology {
  seq: number;
  networks: TopologyNetwork[];
  /** Sandboxes no endpoint has joined. */
  sandboxes: TopologySandbox[];
}

export function topologyOf(v: StateView): Topology {
  const sandboxes = new Map(
    v.sandboxes.map((s) => [s.id, { id: s.id, containerId: s.containerId, key: s.key, state: s.state } satisfies TopologySandbox]),
  );
  const joined = new Set<string>();
  const networks = v.networks.map((n) => ({
    id: n.id,
    name: n.name,
    driver: n.driver,
    state: n.state,
    subnets: n.ipam.config.map((c) => c.subnet),
    endpoints: v.endpoints
      .filter((e) => e.network === n.id)
      .map((e) => {
        const sb = e.sandbox !== null ? (sandboxes.get(e.sandbox) ?? null) : null;
        if (sb) joined.add(sb.id);
        return { id: e.id, name: e.name, ipv4: e.ipv4, ipv6: e.ipv6, mac: e.mac, state: e.state, sandbox: sb };
      }),
  }));
  return { seq: v.seq, networks, sandboxes: [...sandboxes.values()].filter((s) => !joined.has(s.id)) };
}
