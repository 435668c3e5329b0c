import type { Attempt, NewEvent } from "../events.js";

/** What decide() knows of a driver: the registry's answer, as plain data. */
export interface DriverInfo {
  name: string;
  /** libnetwork's DataScope: where the driver's state lives. */
  scope: "local" | "global";
  connectivityScope: "local" | "global";
  /** Calls to this driver change something outside the process, so each is an effect with an intent. */
  sideEffects: boolean;
  /** Networks of this driver take addresses from IPAM by default (bridge, remote do; null, host do not). */
  usesIpam: boolean;
}

/** What decide() knows of an IPAM driver (libnetwork's ipamapi.Capability plus its address spaces). */
export interface IpamDriverInfo {
  name: string;
  /** Calls are effects with intents; false only for the built-in default and null IPAMs, decided in the domain. */
  sideEffects: boolean;
  localAddressSpace: string;
  globalAddressSpace: string;
  /** RequestAddress wants the endpoint's MAC address in its options. */
  requiresMacAddress: boolean;
}

/** Everything decide() needs besides the state and the command; it reads nothing else. */
export interface DecideContext {
  /** The command this decision serves: its request id, or one the controller drew. */
  root: string;
  /** The calling process, recorded with every effect it will dispatch. */
  attempt: Attempt;
  drivers: Readonly<Record<string, DriverInfo>>;
  /** IPAM drivers registered besides the built-in default and null ones. */
  ipamDrivers?: Readonly<Record<string, IpamDriverInfo>>;
  /** Where namespaces that netledger makes live (a sandbox's key is `${netnsDir}/${id}`). */
  netnsDir: string;
}

/** The sandbox layer (osl in libnetwork) is a driver of its own in the effect table. */
export const sandboxDriver = "netns";

export interface Decision {
  events: NewEvent[];
  /** The entity the command is about, for its result view. */
  entity?: { kind: "network" | "endpoint" | "sandbox"; id: string };
}
