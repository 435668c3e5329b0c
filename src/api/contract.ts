import type { CommandInput, CommandType } from "../domain/commands.js";
import type { StoredEvent } from "../domain/events.js";
import type { EndpointView, NetworkView, SandboxView, StateView } from "../domain/views.js";
import type { RecoveryReport } from "../controller/controller.js";
import type { VerifyReport } from "../controller/verify.js";
import type { Head } from "../store/eventLog.js";
import type { NodeView } from "../cluster/membership.js";
import type { ClusterStatus } from "../cluster/status.js";

/**
 * What the CLI (and any other program) can ask of netledger, whether it opens the database itself
 * (LocalApi) or sends the request to a daemon (HttpApi). The daemon's routes are this interface over
 * HTTP, so both paths run the same code on the owning side and give the same answers.
 */

/** The body of a command as the API takes it: the command without its `type`. */
export type Body<T extends CommandType> = Omit<Extract<CommandInput, { type: T }>, "type">;

export type NetworkCreateBody = Body<"network.create">;
export type EndpointCreateBody = Omit<Body<"endpoint.create">, "network">;
export type ConnectBody = Omit<Body<"network.connect">, "network">;
export type DisconnectBody = Omit<Body<"network.disconnect">, "network">;
export type SandboxCreateBody = Body<"sandbox.create">;

export interface CallOptions {
  /** Idempotency key (the `Idempotency-Key` header): a repeat returns the first result and appends nothing. */
  requestId?: string;
  /** Who is acting, for the audit trail. */
  actor?: string;
  /** The caller's own labels, kept in the events' metadata (the `Netledger-Labels` header: JSON, URI-encoded). */
  labels?: Record<string, string>;
}

export interface DriverView {
  name: string;
  scope: "local" | "global";
  connectivityScope: "local" | "global";
  origin: string;
}

export interface Removed {
  removed: string | null;
}

export interface Disconnected {
  endpoint: string | null;
}

export interface EventQuery {
  since?: number;
  until?: number;
  /** An entity: a network name, a sandbox's container id, or any id. */
  stream?: string;
  /** An event type, or a family such as `endpoint`. */
  type?: string;
  actor?: string;
  /** Keep going: wait for events appended later, until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

export interface Health {
  status: "ok";
  version: string;
  pid: number;
  /** The database this daemon owns. */
  db: string;
  head: Head;
  /** Write transactions since the daemon started, and the commands they carried (group commit). */
  stats: { commits: number; commands: number };
}

export interface NetledgerApi {
  networks(): Promise<NetworkView[]>;
  network(ref: string): Promise<NetworkView>;
  createNetwork(body: NetworkCreateBody, o?: CallOptions): Promise<NetworkView>;
  deleteNetwork(ref: string, force: boolean, o?: CallOptions): Promise<Removed>;
  /** Docker's network connect: an endpoint named after the sandbox's container, created and joined. */
  connect(network: string, body: ConnectBody, o?: CallOptions): Promise<EndpointView>;
  disconnect(network: string, body: DisconnectBody, o?: CallOptions): Promise<Disconnected>;

  /** Every endpoint, or a network's. */
  endpoints(network?: string): Promise<EndpointView[]>;
  endpoint(network: string, ref: string): Promise<EndpointView>;
  createEndpoint(network: string, body: EndpointCreateBody, o?: CallOptions): Promise<EndpointView>;
  deleteEndpoint(network: string, ref: string, force: boolean, o?: CallOptions): Promise<Removed>;
  join(network: string, endpoint: string, sandbox: string, o?: CallOptions): Promise<EndpointView>;
  leave(network: string, endpoint: string, sandbox: string, o?: CallOptions): Promise<EndpointView>;

  sandboxes(): Promise<SandboxView[]>;
  sandbox(ref: string): Promise<SandboxView>;
  createSandbox(body: SandboxCreateBody, o?: CallOptions): Promise<SandboxView>;
  deleteSandbox(ref: string, force: boolean, o?: CallOptions): Promise<Removed>;

  /** The log, in seq order; bounds inclusive. */
  events(q?: EventQuery): AsyncIterable<StoredEvent>;
  /** The whole state as of a seq or a time (default: now), rebuilt from the log. */
  state(until?: number | Date): Promise<StateView>;
  head(): Promise<Head>;
  verify(o?: { expectHead?: string }): Promise<VerifyReport>;
  snapshot(): Promise<{ seq: number; stateHash: string }>;
  recover(): Promise<RecoveryReport>;
  drivers(): Promise<DriverView[]>;
  health(): Promise<Health>;
  /** `cluster status` as this node sees it; NotFound when the process is not a node of a cluster. */
  clusterStatus(): Promise<ClusterStatus>;
  /** `node ls` as this node sees it; NotFound when the process is not a node of a cluster. */
  nodes(): Promise<NodeView[]>;

  /** Lets go of the database or the connection. */
  close(): Promise<void>;
}
