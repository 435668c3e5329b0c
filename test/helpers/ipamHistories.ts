import { expect } from "vitest";
import { hex, history, ok, type Step } from "./decider.js";

/**
 * The histories and expected events the IPAM decide specs share (test/unit/domain/decide/ipam*.test.ts):
 * a network "front" on the default IPAM or on the pipam plugin (an IPAM driver with effects, see
 * decider.ts `ipamDrivers`), and endpoints "web" and "api" on it.
 */

export const N = hex("1");
export const N2 = hex("2");
export const E = hex("a");
export const E2 = hex("b");

// ------------------------------------------------------------------ the default IPAM

export type Config = { subnet: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> };
export const netOn = (config: Config[], over: Record<string, unknown> = {}) =>
  ({ type: "network.create", id: N, name: "front", driver: "null", ipam: { driver: "default", config }, ...over }) as const;
export const front = (config: Config[] = [{ subnet: "10.1.0.0/24" }], ...more: Step[]) => history(netOn(config), ...more);
export const addWeb = { type: "endpoint.create", id: E, network: "front", name: "web" } as const;
export const addApi = { type: "endpoint.create", id: E2, network: "front", name: "api" } as const;

export const poolRequested = (subnet: string, over: Record<string, unknown> = {}) => ({
  type: "ipam.pool.requested",
  stream: N,
  data: { network: N, driver: "default", pool: `LocalDefault/${subnet}`, addressSpace: "LocalDefault", family: 4, subnet, ipRange: null, data: {}, ...over },
});
export const address = (owner: string, pool: string, addr: string, role: string, dynamic: boolean, extra: Record<string, unknown> = {}) => ({
  type: "ipam.address.requested",
  stream: owner,
  data: { network: N, driver: "default", pool, address: addr, owner, role, dynamic, ...extra },
});
export const released = (owner: string, pool: string, addr: string, role: string, extra: Record<string, unknown> = {}) => ({
  type: "ipam.address.released",
  stream: owner,
  data: { network: N, driver: "default", pool, address: addr, owner, role, ...extra },
});
export const created = (over: Record<string, unknown>) => ({ type: "endpoint.created", stream: E, data: expect.objectContaining(over) });
export const pool = "LocalDefault/10.1.0.0/24";

// ------------------------------------------------------------------ an IPAM driver with effects

export const P = "PLocal/10.200.0.0/24";
export const pipamNet = { type: "network.create", id: N, name: "front", driver: "plug", ipam: { driver: "pipam" } } as const;
export const poolAnswer = (data: Record<string, string> = {}) => ({ poolId: P, pool: "10.200.0.0/24", data });
/** A network of the plugin driver on the pipam IPAM, fully made: pool, gateway, CreateNetwork. */
export const pipamFront = (...more: Step[]) => history(pipamNet, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24", data: {} }), ok(N), ...more);
export const pipam = (over: Record<string, unknown>) => ({ driver: "pipam", ...over });
