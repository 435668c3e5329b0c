/**
 * What the CNI specification fixes for a plugin: the versions it speaks, its error object and
 * well-known codes, and the result's shape in each result version. Imports nothing, so that VERSION
 * (which podman sends to every plugin before each command) loads only this file.
 */

/** The result versions netledger-cni answers in: a config's own cniVersion, if it is one of these. */
export const supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type CniVersion = (typeof supportedVersions)[number];

export const isSupported = (v: string): v is CniVersion => (supportedVersions as readonly string[]).includes(v);

/**
 * The spec's well-known error codes, and netledger's own from 100 up (the spec leaves 100+ to plugins):
 * one per netledger error code, so that a runtime's log says what refused.
 */
export const cniCodes = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodingFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** STATUS (1.1.0): the plugin cannot serve ADD now. */
  notAvailable: 50,
} as const;

export const netledgerCodes: Record<string, number> = {
  NotFound: 100,
  Conflict: 101,
  InvalidParameter: 102,
  Forbidden: 103,
  ActiveEndpoints: 104,
  Exhausted: 105,
  IllegalState: 106,
  DriverError: 107,
  Timeout: 108,
  BadResponse: 109,
  Corrupt: 110,
  InDoubt: 111,
  Internal: 112,
  /** CHECK found the container's interface, addresses or routes other than the log says. */
  CheckFailed: 120,
};

/** The spec's error object: printed on stdout, with a non-zero exit. */
export class CniError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly details = "",
  ) {
    super(msg);
  }

  toJSON(cniVersion: string): Record<string, unknown> {
    return { cniVersion, code: this.code, msg: this.msg, ...(this.details ? { details: this.details } : {}) };
  }
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A result as 1.0.0 gives it; `inVersion` turns it into an older result version. */
export interface CniResult {
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: CniDns;
}

/** The result in the config's own version: 0.3.x and 0.4.0 name each address's IP version. */
export function inVersion(r: CniResult, cniVersion: CniVersion): Record<string, unknown> {
  const old = cniVersion.startsWith("0.");
  return {
    cniVersion,
    interfaces: r.interfaces,
    ips: old ? r.ips.map((ip) => ({ version: ip.address.includes(":") ? "6" : "4", ...ip })) : r.ips,
    routes: r.routes,
    dns: r.dns,
  };
}
