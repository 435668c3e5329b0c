import type { ReleaseStep } from "../effects/args.js";
import type { IpamRole, NewEvent } from "../events.js";
import type { NetworkRecord } from "../state.js";
import type { DecideContext } from "./context.js";
import { requestEffect } from "./effect.js";
import { ipamHasEffects } from "./ipamDrivers.js";

export type { ReleaseStep } from "../effects/args.js";

/** An address handed out by a pool, as an event. */
export function addressEvent(
  common: { network: string; driver: string; pool: string },
  owner: string,
  address: string,
  role: IpamRole,
  dynamic: boolean,
  name?: string,
): NewEvent {
  return {
    type: "ipam.address.requested",
    stream: owner,
    data: { ...common, address, owner, role, dynamic, ...(name !== undefined ? { name } : {}) },
  };
}

export function releaseEvent(step: ReleaseStep): NewEvent {
  if (step.op === "releasePool")
    return { type: "ipam.pool.released", stream: step.network, data: { network: step.network, driver: step.driver, pool: step.pool } };
  return {
    type: "ipam.address.released",
    stream: step.owner,
    data: {
      network: step.network,
      driver: step.driver,
      pool: step.pool,
      address: step.address!,
      owner: step.owner,
      role: step.role!,
      ...(step.name !== undefined ? { name: step.name } : {}),
    },
  };
}

/** The call for a release owed to an IPAM driver with effects, carrying those still owed after it. */
export function releaseEffect(ctx: DecideContext, resource: string, step: ReleaseStep, rest: ReleaseStep[]): NewEvent {
  const common = { network: step.network, owner: step.owner, step, rest };
  return step.op === "releasePool"
    ? requestEffect(ctx, step.driver, "releasePool", resource, { ...common, request: { poolId: step.pool } })
    : requestEffect(ctx, step.driver, "releaseAddress", resource, { ...common, request: { poolId: step.pool, address: step.address! } });
}

/**
 * Releases owed by `resource` (a network or an endpoint): events at once when the IPAM is pure (or gone),
 * or a chain of driver calls, one at a time, each recorded as its answer comes back.
 */
export function planReleases(ctx: DecideContext, n: Pick<NetworkRecord, "ipam"> | undefined, resource: string, steps: ReleaseStep[]): NewEvent[] {
  if (steps.length === 0) return [];
  if (n && ipamHasEffects(ctx, n)) return [releaseEffect(ctx, resource, steps[0]!, steps.slice(1))];
  return steps.map(releaseEvent);
}
