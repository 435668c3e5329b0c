import * as C from "../collection.js";
import { notFound } from "../errors.js";
import { shortId } from "../ids.js";
import { defaultIpam, globalAddressSpace, localAddressSpace, nullIpam } from "../ipam/defaults.js";
import type { NetworkRecord, State } from "../state.js";
import type { DecideContext, IpamDriverInfo } from "./context.js";

/**
 * IPAM in decide: what a network or endpoint requests and releases, as events. The built-in default
 * IPAM is pure and decided here in full (libnetwork's ipam.Allocator over the state). Any other IPAM
 * driver is asked through effects, one call at a time per entity, in libnetwork's order: for a
 * network each pool, then its gateway, then its auxiliary addresses, then the driver's CreateNetwork;
 * for an endpoint its IPv4 then IPv6 address, then CreateEndpoint; releases on delete. Each answer
 * becomes an ipam.* event and the next call is planned from it (ipamOutcome.ts).
 *
 * This file: which IPAM driver a network uses, and what decide knows of it.
 */

/** libnetwork's netlabel keys that IPAM requests and answers use. */
export const gatewayLabel = "com.docker.network.gateway";
export const requestAddressTypeLabel = "RequestAddressType";
export const macAddressLabel = "com.docker.network.endpoint.macaddress";

const builtin: Record<string, IpamDriverInfo> = {
  [defaultIpam]: {
    name: defaultIpam,
    sideEffects: false,
    localAddressSpace,
    globalAddressSpace,
    requiresMacAddress: false,
  },
  [nullIpam]: { name: nullIpam, sideEffects: false, localAddressSpace: "null", globalAddressSpace: "null", requiresMacAddress: false },
};

export function ipamInfo(ctx: DecideContext, name: string): IpamDriverInfo | undefined {
  return builtin[name] ?? ctx.ipamDrivers?.[name];
}

export function requireIpam(ctx: DecideContext, name: string): IpamDriverInfo {
  const info = ipamInfo(ctx, name);
  if (!info)
    throw notFound(`IPAM driver "${name}" is not registered: the built-in ones are "default" and "null", and no plugin by that name is known`);
  return info;
}

/**
 * Whether the network's IPAM calls are effects. A driver that is not registered any more counts as
 * none: releases are then recorded without a call, as libnetwork logs and goes on when it cannot
 * reach the IPAM driver on delete.
 */
export function ipamHasEffects(ctx: DecideContext, n: Pick<NetworkRecord, "ipam">): boolean {
  return ipamInfo(ctx, n.ipam.driver)?.sideEffects ?? false;
}

export const spaceOf = (info: IpamDriverInfo, scope: "local" | "global"): string =>
  scope === "global" ? info.globalAddressSpace : info.localAddressSpace;

export const networkLabel = (s: State, id: string): string => {
  const n = C.get(s.networks, id);
  return n ? `${n.name} (${shortId(id)})` : shortId(id);
};
