import type { EffectCall } from "./contract.js";

/**
 * The IPAM driver contract, mirroring libnetwork's ipamapi.Ipam, made async. The built-in default and
 * null IPAMs are pure and live in the domain (src/domain/ipam); this contract is for every other IPAM
 * driver, built in-process by an embedder or reached as a plugin (the remote IPAM speaks
 * /IpamDriver.* over HTTP and implements exactly this). Each request and release is an effect: it is
 * recorded before it is made and its answer after, and each call carries the effect it serves.
 *
 * Addresses go out plain (`10.0.0.5`) and come back in CIDR form (`10.0.0.5/24`), as on the wire.
 */
export interface IpamCapability {
  /** RequestAddress wants the endpoint's MAC in its options (`com.docker.network.endpoint.macaddress`). */
  requiresMacAddress: boolean;
  /** libnetwork replays the requests of local networks when it starts; netledger keeps them in the log. */
  requiresRequestReplay: boolean;
}

export interface AddressSpaces {
  localDefaultAddressSpace: string;
  globalDefaultAddressSpace: string;
}

export interface RequestPoolRequest {
  addressSpace: string;
  /** The user's subnet, or "" to let the driver choose. */
  pool: string;
  /** The user's --ip-range, or "". */
  subPool: string;
  options: Record<string, string>;
  v6: boolean;
}

export interface RequestPoolResult {
  poolId: string;
  /** The pool in CIDR form. */
  pool: string;
  /** Metadata; `com.docker.network.gateway` (CIDR) names the pool's gateway. */
  data?: Record<string, string>;
}

export interface RequestAddressRequest {
  poolId: string;
  /** The address asked for, or "" for any. */
  address: string;
  /** `RequestAddressType: com.docker.network.gateway` for a gateway; the MAC when the driver requires it. */
  options: Record<string, string>;
}

export interface RequestAddressResult {
  /** The address in CIDR form. */
  address: string;
  data?: Record<string, string>;
}

export interface IpamDriver {
  getCapabilities?(): Promise<IpamCapability>;
  /** Asked once, at registration (libnetwork's RegisterIpamDriver does the same). */
  getDefaultAddressSpaces(): Promise<AddressSpaces>;
  requestPool(req: RequestPoolRequest, call: EffectCall): Promise<RequestPoolResult>;
  releasePool(req: { poolId: string }, call: EffectCall): Promise<void>;
  requestAddress(req: RequestAddressRequest, call: EffectCall): Promise<RequestAddressResult>;
  releaseAddress(req: { poolId: string; address: string }, call: EffectCall): Promise<void>;
  /** Called when the process closes the controller. */
  close?(): Promise<void>;
}

/**
 * The registration callback handed to IPAM modules (libnetwork's ipamapi.Callback.RegisterIpamDriver).
 * It asks the driver for its default address spaces; a driver that cannot answer is not registered.
 */
export type RegisterIpamDriver = (name: string, driver: IpamDriver, capability?: Partial<IpamCapability>) => Promise<void>;

/** A module that provides IPAM drivers: its init registers them (the remote module, per plugin). */
export interface IpamModule {
  initIpam(register: RegisterIpamDriver, config: Record<string, unknown>): void | Promise<void>;
}
