import type { EndpointView, NetworkView, SandboxView } from "../../domain/views.js";

/**
 * A network as `docker network inspect` prints it (moby api/types/network.Inspect), so that scripts
 * written for Docker read it: Docker's keys, in Docker's order, with Docker's types. What netledger
 * knows beyond Docker (lifecycle state, every endpoint, pool usage) is under one key of its own,
 * `Netledger`. Docker's `Containers` is keyed by container id; here, by the container id of each
 * joined endpoint's sandbox, named by the endpoint (which `network connect` names after the container).
 */
export interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: DockerIpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  Netledger: { state: string; endpoints: string[]; pools: NetworkView["ipam"]["pools"] };
}

/** Docker leaves out IPRange and AuxiliaryAddresses when they are not set (omitempty). */
export interface DockerIpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export function dockerNetwork(n: NetworkView, endpoints: readonly EndpointView[], sandboxes: readonly SandboxView[]): DockerNetwork {
  const containerOf = new Map(sandboxes.map((s) => [s.id, s.containerId]));
  const containers: DockerNetwork["Containers"] = {};
  for (const e of endpoints) {
    if (e.network !== n.id || e.sandbox === null) continue;
    containers[containerOf.get(e.sandbox) ?? e.sandbox] = {
      Name: e.name,
      EndpointID: e.id,
      MacAddress: e.mac ?? "",
      IPv4Address: e.ipv4 ?? "",
      IPv6Address: e.ipv6 ?? "",
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.createdAt,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv6: n.ipv6,
    IPAM: {
      Driver: n.ipam.driver,
      Options: n.ipam.options,
      Config: n.ipam.config.map((c) => ({
        Subnet: c.subnet,
        ...(c.ipRange !== undefined ? { IPRange: c.ipRange } : {}),
        ...(c.gateway !== undefined ? { Gateway: c.gateway } : {}),
        ...(c.auxAddresses !== undefined && Object.keys(c.auxAddresses).length > 0 ? { AuxiliaryAddresses: c.auxAddresses } : {}),
      })),
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
    Netledger: { state: n.state, endpoints: n.endpoints, pools: n.ipam.pools },
  };
}
