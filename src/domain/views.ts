import * as C from "./collection.js";
import { type PoolUsage, poolUsage } from "./ipam/usage.js";
import { publishedPorts } from "./ports.js";
import type { EndpointLifecycle } from "./machines/endpoint.js";
import type { NetworkLifecycle } from "./machines/network.js";
import type { SandboxLifecycle } from "./machines/sandbox.js";
import type { EffectRecord, EndpointRecord, NetworkRecord, SandboxRecord, State } from "./state.js";

/**
 * The JSON views of interface.md §3. `state` is the lifecycle, except that an entity whose driver call
 * is in flight shows what it is waiting for; both come from the state, neither is stored twice.
 */
export interface NetworkView {
  id: string;
  name: string;
  driver: string;
  scope: "local" | "global";
  ipam: {
    driver: string;
    /** What the network holds (the chosen default pool, the default gateway), or what was asked while it has nothing. */
    config: NetworkRecord["ipam"]["config"];
    options: Record<string, string>;
    /** The default IPAM's pools with their usage, from the allocators' counts. */
    pools: PoolUsage[];
  };
  ipv6: boolean;
  internal: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  endpoints: string[];
  state: NetworkLifecycle;
  createdAt: string;
}

export interface EndpointView {
  id: string;
  name: string;
  network: string;
  sandbox: string | null;
  ipv4: string | null;
  ipv6: string | null;
  mac: string | null;
  gateway: string | null;
  gateway6: string | null;
  ports: EndpointRecord["ports"];
  aliases: string[];
  /** The endpoint's driver options (`--driver-opt`), only when it has some. */
  driverOpts?: Record<string, string>;
  /** Where the joined endpoint's interface is, as its driver's Join answered: its name in the sandbox and its host end. */
  interface?: { name: string; host: string | null };
  state: EndpointLifecycle;
  createdAt: string;
  /** In `endpoint ls`/`inspect`: the cluster node it lives on (this one), null for a local network's. */
  node?: string | null;
}

export interface SandboxView {
  id: string;
  containerId: string;
  key: string | null;
  hostname: string;
  domainname: string;
  dns: string[];
  extraHosts: SandboxRecord["extraHosts"];
  endpoints: string[];
  state: SandboxLifecycle;
  createdAt: string;
}

export interface EffectView {
  id: number;
  driver: string;
  op: string;
  resource: string;
  root: string;
  attempts: number;
  requestedAt: string;
}

export interface StateView {
  seq: number;
  networks: NetworkView[];
  endpoints: EndpointView[];
  sandboxes: SandboxView[];
  effects: { pending: EffectView[]; inDoubt: EffectView[] };
}

export function networkView(n: NetworkRecord): NetworkView {
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    scope: n.scope,
    ipam: {
      driver: n.ipam.driver,
      config: n.pools.length > 0 ? n.pools.map(poolConfig) : n.ipam.config,
      options: n.ipam.options,
      pools: n.pools.map(poolUsage).filter((u) => u !== null),
    },
    ipv6: n.ipv6,
    internal: n.internal,
    options: n.options,
    labels: n.labels,
    endpoints: C.keys(n.endpoints).sort(),
    state: n.lifecycle,
    createdAt: n.createdAt,
  };
}

function poolConfig(p: NetworkRecord["pools"][number]): NetworkRecord["ipam"]["config"][number] {
  return {
    subnet: p.subnet,
    ...(p.gateway !== null ? { gateway: p.gateway } : {}),
    ...(p.ipRange !== null ? { ipRange: p.ipRange } : {}),
    ...(Object.keys(p.aux).length > 0 ? { auxAddresses: { ...p.aux } } : {}),
  };
}

export function endpointView(e: EndpointRecord): EndpointView {
  return {
    id: e.id,
    name: e.name,
    network: e.network,
    sandbox: e.sandbox,
    ipv4: e.ipv4,
    ipv6: e.ipv6,
    mac: e.mac,
    gateway: e.gateway,
    gateway6: e.gateway6,
    ports: publishedPorts(e),
    aliases: e.aliases,
    ...(e.driverOpts !== undefined ? { driverOpts: { ...e.driverOpts } } : {}),
    ...interfaceOf(e),
    state: e.lifecycle,
    createdAt: e.createdAt,
  };
}

/**
 * The interface names a built-in driver's Join reported (`dstName`, `hostInterface`), or the name a
 * remote plugin's interface was placed under in the sandbox (`sandboxInterface`; its host end is the plugin's).
 */
function interfaceOf(e: EndpointRecord): Pick<EndpointView, "interface"> {
  const name = e.joinInfo?.["dstName"] ?? e.joinInfo?.["sandboxInterface"];
  if (typeof name !== "string") return {};
  const host = e.joinInfo?.["hostInterface"];
  return { interface: { name, host: typeof host === "string" ? host : null } };
}

export function sandboxView(s: SandboxRecord): SandboxView {
  return {
    id: s.id,
    containerId: s.containerId,
    key: s.key,
    hostname: s.hostname,
    domainname: s.domainname,
    dns: s.dns,
    extraHosts: s.extraHosts,
    endpoints: [...s.endpoints],
    state: s.lifecycle,
    createdAt: s.createdAt,
  };
}

function effectView(f: EffectRecord): EffectView {
  return {
    id: f.id,
    driver: f.driver,
    op: f.op,
    resource: f.resource,
    root: f.root,
    attempts: f.attempts.length,
    requestedAt: f.requestedAt,
  };
}

/** The order the views list entities in: by creation time, then id. */
export const byCreation = <T extends { createdAt: string; id: string }>(a: T, b: T) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * The whole state as `replay` prints it. Which open effects are in doubt depends on whether their
 * process is alive, which the domain cannot know: the caller says.
 */
export function stateView(s: State, isInDoubt: (f: EffectRecord) => boolean = () => false): StateView {
  const effects = [...C.values(s.effects)].sort((a, b) => a.id - b.id);
  return {
    seq: s.seq,
    networks: [...C.values(s.networks)].sort(byCreation).map(networkView),
    endpoints: [...C.values(s.endpoints)].sort(byCreation).map(endpointView),
    sandboxes: [...C.values(s.sandboxes)].sort(byCreation).map(sandboxView),
    effects: {
      pending: effects.filter((f) => !isInDoubt(f)).map(effectView),
      inDoubt: effects.filter(isInDoubt).map(effectView),
    },
  };
}
