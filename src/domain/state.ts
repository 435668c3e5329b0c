import type { Collection } from "./collection.js";
import { emptyCollection } from "./collection.js";
import type { Attempt, ErrorInfo, ExtraHost, Ipam, PortBinding } from "./events.js";
import type { PoolRecord } from "./ipam/pool.js";
import type { EndpointLifecycle } from "./machines/endpoint.js";
import type { NetworkLifecycle } from "./machines/network.js";
import type { SandboxLifecycle } from "./machines/sandbox.js";
import type { SubnetIndex } from "./ipam/subnets.js";
import type { TypedEffect } from "./effects/table.js";

/**
 * The controller state, derived from the log by evolve(). Collections are tries (collection.ts) so that
 * a command's update copies a handful of small objects whatever the size of the state. Indexes (names,
 * members) live beside the records and are kept by the same reducer step; counts are their sizes.
 */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  scope: "local" | "global";
  ipam: Ipam;
  ipv6: boolean;
  internal: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  lifecycle: NetworkLifecycle;
  createdAt: string;
  /** Ids of the network's endpoints. */
  endpoints: Collection<1>;
  /**
   * Those of its endpoints attached to a sandbox (joining, joined or leaving): an index kept beside
   * `endpoints` so that a sandbox's hosts file (its peers) costs the peers, not every endpoint.
   */
  attached: Collection<1>;
  /** The IPAM pools the network holds, in the order they were requested (IPv4 first). */
  pools: PoolRecord[];
}

export interface EndpointRecord {
  id: string;
  name: string;
  network: string;
  sandbox: string | null;
  ipv4: string | null;
  ipv6: string | null;
  mac: string | null;
  gateway: string | null;
  gateway6: string | null;
  ports: PortBinding[];
  aliases: string[];
  /** The interface's name in the sandbox, when the caller chose it; set only then. */
  ifname?: string;
  /** The endpoint's driver options (`--driver-opt`); set only when some were given. */
  driverOpts?: Record<string, string>;
  lifecycle: EndpointLifecycle;
  createdAt: string;
  /** What the endpoint does once the effect in flight succeeds: join a sandbox, or be deleted. */
  then: { join: string } | { remove: true } | null;
  /** What the driver's Join answered (interface names, gateways, routes), kept for leave and views. */
  joinInfo: Record<string, unknown> | null;
}

export interface SandboxRecord {
  id: string;
  containerId: string;
  key: string | null;
  hostname: string;
  domainname: string;
  dns: string[];
  extraHosts: ExtraHost[];
  lifecycle: SandboxLifecycle;
  createdAt: string;
  /** Joined endpoints in join order: the first is eth0. */
  endpoints: string[];
}

/** An open effect: its operation and arguments typed together (TypedEffect), and its bookkeeping. */
export type EffectRecord = TypedEffect & {
  id: number;
  driver: string;
  resource: string;
  root: string;
  inverse: boolean;
  /** The error of the command this clean-up call serves, when it could not go on (see effect.requested). */
  failure: ErrorInfo | null;
  attempts: Attempt[];
  requestedAt: string;
  /**
   * How many attempts, from the first, are known to have sent nothing (effect.unsent: the driver could
   * not be reached). When it equals `attempts.length` nothing was ever sent: the effect is pending,
   * never in doubt, and is sent once without an undo. Absent when every attempt may have been sent.
   */
  unsent?: number;
};

/** Whether no attempt of an open effect ever reached its driver. */
export function neverSent(f: Pick<EffectRecord, "unsent" | "attempts">): boolean {
  return (f.unsent ?? 0) >= f.attempts.length;
}

export interface State {
  /** The last seq folded into this state (0: empty log). */
  seq: number;
  /**
   * The kernel boot id the log last saw (a host.booted event, or the process of an effect attempt):
   * when a process opens on another boot, the kernel state of this one is gone.
   */
  boot: string | null;
  drivers: Record<string, { options: Record<string, unknown> }>;
  networks: Collection<NetworkRecord>;
  /** network name → id */
  networkNames: Collection<string>;
  endpoints: Collection<EndpointRecord>;
  /** `${networkId}/${name}` → endpoint id */
  endpointNames: Collection<string>;
  sandboxes: Collection<SandboxRecord>;
  /** container id → sandbox id */
  sandboxContainers: Collection<string>;
  /** Open effects (requested, no outcome yet) by id = the seq of their intent. */
  effects: Collection<EffectRecord>;
  /** resource id → the id of its open effect: at most one per resource (invariant 5). */
  effectsByResource: Collection<number>;
  /** The subnets the default IPAM has handed out, per address space, for overlap checks. */
  ipamSubnets: SubnetIndex;
}

export function emptyState(): State {
  return {
    seq: 0,
    boot: null,
    drivers: {},
    networks: emptyCollection(),
    networkNames: emptyCollection(),
    endpoints: emptyCollection(),
    endpointNames: emptyCollection(),
    sandboxes: emptyCollection(),
    sandboxContainers: emptyCollection(),
    effects: emptyCollection(),
    effectsByResource: emptyCollection(),
    ipamSubnets: emptyCollection(),
  };
}

/** Bumped whenever the meaning of a stored state changes; snapshots of another version are ignored. */
export const reducerVersion = 3;
