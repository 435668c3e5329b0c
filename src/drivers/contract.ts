import type { PortBinding } from "../domain/events.js";
import type { Touched } from "../domain/projection.js";
import type { State } from "../domain/state.js";
import type { ClusterState } from "../domain/cluster/state.js";

/**
 * The network driver contract, mirroring libnetwork's driverapi.Driver, made async. Built-in drivers
 * are idempotent: a create finds what already exists and succeeds, a delete that finds nothing
 * succeeds, so the effect layer may repeat any call (docs/architecture.md, recovery). Each call carries the effect that
 * asks for it, whose id is stable across retries.
 */
export interface Capability {
  /** libnetwork's DataScope. */
  dataScope: "local" | "global";
  connectivityScope?: "local" | "global";
  /**
   * Whether calls change anything outside this process. A driver with none (null, host) records no
   * effect intents: there is nothing a crash could leave half done.
   */
  sideEffects: boolean;
  /** Networks of this driver take addresses from the default IPAM unless told otherwise. */
  usesIpam: boolean;
}

export interface EffectCall {
  /** The seq of the effect's intent: stable across retries and processes. */
  effectId: number;
  /** 1 for the first attempt; more after a crash or a back-off. */
  attempt: number;
  /** The id of the database the effect belongs to, for names that say whose an object is. */
  databaseId: string;
  signal?: AbortSignal;
}

export interface InterfaceInfo {
  address: string | null;
  addressIPv6: string | null;
  mac: string | null;
}

export interface CreateNetworkRequest {
  networkId: string;
  name: string;
  options: Record<string, string>;
  labels: Record<string, string>;
  ipv6: boolean;
  internal: boolean;
  ipam: { driver: string; config: { subnet: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }[] };
  [extra: string]: unknown;
}

export interface CreateEndpointRequest {
  networkId: string;
  endpointId: string;
  interface: InterfaceInfo;
  options: { ports: PortBinding[]; aliases: string[]; driverOpts?: Record<string, string> };
  [extra: string]: unknown;
}

export interface CreateEndpointResult {
  /** Values the driver assigned where netledger sent none (a MAC, say). */
  interface?: Partial<InterfaceInfo>;
}

export interface JoinRequest {
  networkId: string;
  endpointId: string;
  sandboxId: string;
  /** The namespace path, or null for the host's. */
  sandboxKey: string | null;
  options: Record<string, unknown>;
  /**
   * What a built-in driver needs to place the interface, which libnetwork's drivers keep in their own
   * endpoint tables: carried in the call so that the log says everything the driver was told. (The
   * remote protocol's Join sends none of it.)
   */
  interface?: InterfaceInfo;
  /** The endpoint's gateways (plain addresses), for the default routes. */
  gateway?: string | null;
  gatewayIPv6?: string | null;
  network?: { options: Record<string, string>; internal: boolean; ipv6: boolean };
  /** The interface's name in the sandbox, when the caller chose it (CNI_IFNAME); else the driver's eth0, eth1… */
  ifname?: string;
}

export interface StaticRoute {
  destination: string;
  routeType: number;
  nextHop: string;
}

export interface JoinResult {
  interfaceName?: { srcName: string; dstPrefix: string };
  gateway?: string;
  gatewayIPv6?: string;
  staticRoutes?: StaticRoute[];
  disableGatewayService?: boolean;
  [extra: string]: unknown;
}

export interface LeaveRequest extends JoinRequest {
  /** What the Join answered; none when the Leave undoes a Join in doubt (sent with the Join's arguments). */
  joinInfo?: Record<string, unknown> | null;
}

/** ProgramExternalConnectivity's request: the endpoint and the sandbox options its Join was given (ports). */
export interface ExternalConnectivityRequest {
  networkId: string;
  endpointId: string;
  options: Record<string, unknown>;
}

export interface NetworkDriver extends CollectsGarbage {
  /** libnetwork's ConfigureNetworkDriver → driver.Config. */
  config?(options: Record<string, unknown>): Promise<void>;
  createNetwork(req: CreateNetworkRequest, call: EffectCall): Promise<void>;
  deleteNetwork(req: { networkId: string }, call: EffectCall): Promise<void>;
  createEndpoint(req: CreateEndpointRequest, call: EffectCall): Promise<CreateEndpointResult>;
  deleteEndpoint(req: { networkId: string; endpointId: string }, call: EffectCall): Promise<void>;
  /** Operational data of an endpoint (libnetwork's EndpointOperInfo), read on demand, never logged. */
  endpointOperInfo(req: { networkId: string; endpointId: string }): Promise<Record<string, unknown>>;
  join(req: JoinRequest, call: EffectCall): Promise<JoinResult>;
  leave(req: LeaveRequest, call: EffectCall): Promise<void>;
  /**
   * libnetwork's ProgramExternalConnectivity: made after a Join succeeds, on a network that is not
   * internal, as part of the join effect. A failure fails the join, which is then left again.
   */
  programExternalConnectivity?(req: ExternalConnectivityRequest, call: EffectCall): Promise<void>;
  /** libnetwork's RevokeExternalConnectivity: made before Leave, on a network that is not internal, as part of the leave effect. */
  revokeExternalConnectivity?(req: { networkId: string; endpointId: string }, call: EffectCall): Promise<void>;
  /** Called when the process closes the controller; releases connections and child processes. */
  close?(): Promise<void>;
}

/** The sandbox layer (libnetwork's osl): namespaces for sandboxes that are not the host's. */
export interface SandboxDriver extends CollectsGarbage {
  createSandbox(req: { sandboxId: string; key: string; create: boolean }, call: EffectCall): Promise<void>;
  deleteSandbox(req: { sandboxId: string; key: string }, call: EffectCall): Promise<void>;
  /** Whether the namespace at `key` still exists: after a reboot, the sandboxes whose namespace does not are gone. */
  exists?(key: string): boolean;
  close?(): Promise<void>;
}

/**
 * Something kept in step with the state outside the log (a sandbox's hosts and resolv.conf files, the
 * bridge driver's nftables table): derived from the state, so it costs no commit; brought up to date
 * after the commits that touch it, and rebuilt from the state by recovery and after a reboot.
 */
export interface StateProjection {
  name: string;
  /**
   * After a fold: `touched` names what the folded events touched, `before` is the state they were
   * folded into (it still has what they deleted), `state` the latest state.
   */
  update(state: State, touched: Touched, before: State): Promise<void> | void;
  /** All of it from the state. */
  rebuild(state: State): Promise<void> | void;
}

/** The registration callback handed to every driver module (libnetwork's driverapi.DriverCallback). */
export type RegisterDriver = (name: string, driver: NetworkDriver, capability: Capability) => void;

/** A driver module: its init registers what it provides (libnetwork's `Init(dc, config)`). */
export interface DriverModule {
  init(register: RegisterDriver, config: Record<string, unknown>): void | Promise<void>;
}

// ---------------------------------------------------------------- garbage (`netledger gc`)

/**
 * A kernel object or file that carries this database's id and that its state no longer knows. Each
 * part of the driver layer names its own: the bridge driver its host links and nftables table, the
 * sandbox layer its namespaces, the links inside them and the sandbox file directories.
 */
export interface Garbage {
  kind: "link" | "namespace" | "nftables-table" | "nftables-rule" | "sandbox-files" | "overlay-peer";
  /** The link, path, table or rule (chain and handle). */
  name: string;
  /** Where it is: a namespace path for a link inside one, the table for a rule. */
  where?: string;
  reason: string;
}

/** What a collector is told; anything else it needs (its directories, its projections) it holds itself. */
export interface GcContext {
  state: State;
  databaseId: string;
  /** The node's copy of the cluster state, given to a process that is not the node (the one-shot CLI). */
  cluster?: ClusterState;
}

/**
 * Finds and removes one part's garbage. Two steps, so that every part finds before any part removes:
 * removing a veth's host end takes its sandbox end with it, and the report says what was there.
 */
export interface GarbageCollector {
  /** What this part owns that the state no longer wants; an object whose entity has a call in flight is in use. */
  find(ctx: GcContext): Promise<Garbage[]>;
  /** Removes what `find` returned; answers what could not be removed, and why. */
  remove(ctx: GcContext, found: readonly Garbage[]): Promise<string[]>;
}

/** A driver that leaves objects outside the log collects its own garbage. */
export interface CollectsGarbage {
  gc?: GarbageCollector;
}
