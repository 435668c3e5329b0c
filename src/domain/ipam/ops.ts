/**
 * The calls an IPAM driver with effects is asked to make, as effect operations (libnetwork's ipamapi).
 * Unlike a network driver's, their outcomes move no lifecycle on success: what they return becomes an
 * ipam.* event and decide plans the next step. A failed request fails the entity it was for.
 */
export const ipamOps = {
  requestPool: { request: true },
  releasePool: { request: false },
  requestAddress: { request: true },
  releaseAddress: { request: false },
} as const;

export type IpamOp = keyof typeof ipamOps;

export function isIpamOp(op: string): op is IpamOp {
  return Object.hasOwn(ipamOps, op);
}
