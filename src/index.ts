/** netledger: libnetwork's Container Network Model on a durable, hash-chained SQLite event log. */
export {
  Controller,
  type CommandOptions,
  type CommandResult,
  type NewNetworkOptions,
  type NewSandboxOptions,
  type OpenOptions,
  type RecoveryReport,
  type ReprogramReport,
} from "./controller/controller.js";
export { Endpoint, Network, Sandbox } from "./controller/handles.js";
export type { VerifyProblem, VerifyReport } from "./controller/verify.js";
export { Ledger, type EntityHistory } from "./controller/ledger.js";
export type { EntityKind, LoggedEntity } from "./controller/entities.js";
export { parsePoint, type Point } from "./controller/points.js";
export type { StateDiff } from "./domain/stateDiff.js";
export type { Topology } from "./domain/topology.js";
export type { LoggedEvent } from "./store/eventLog.js";
export type {
  Capability,
  CreateEndpointRequest,
  CreateEndpointResult,
  CreateNetworkRequest,
  DriverModule,
  EffectCall,
  JoinRequest,
  JoinResult,
  LeaveRequest,
  NetworkDriver,
  RegisterDriver,
  SandboxDriver,
} from "./drivers/contract.js";
export type {
  AddressSpaces,
  IpamCapability,
  IpamDriver,
  IpamModule,
  RegisterIpamDriver,
  RequestAddressRequest,
  RequestAddressResult,
  RequestPoolRequest,
  RequestPoolResult,
} from "./drivers/ipamContract.js";
export { type ErrorCode, isNetledgerError, NetledgerError } from "./domain/errors.js";
export type { StoredEvent, EventMeta, EventType } from "./domain/events.js";
export type { EndpointView, NetworkView, SandboxView, StateView } from "./domain/views.js";
export { ClusterNode } from "./cluster/node.js";
export { clusterAttacher, clusterDefaults, type ClusterSettings } from "./cluster/attach.js";
