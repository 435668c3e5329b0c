import * as C from "../collection.js";
import { type EffectResult, effectTable, type IpamOp } from "../effects/table.js";
import { invalid } from "../errors.js";
import type { NewEvent } from "../events.js";
import { formatIp, ipText, subnetOf, tryParseIp } from "../ipam/address.js";
import type { EffectRecord, State } from "../state.js";
import type { DecideContext } from "./context.js";
import { gatewayLabel } from "./ipamDrivers.js";
import { nextEndpointRequest } from "./ipamEndpoint.js";
import { nextNetworkRequest } from "./ipamNetwork.js";
import { addressEvent, releaseEffect, releaseEvent } from "./ipamReleases.js";
import { preview } from "./preview.js";

/** An open effect of an IPAM driver. */
export type IpamEffect = Extract<EffectRecord, { op: IpamOp }>;

/** What follows an IPAM effect's chain: the entity's driver call, or the end of a network's releases. */
export type IpamNext =
  | { kind: "networkReady"; network: string }
  | { kind: "endpointReady"; endpoint: string }
  | { kind: "networkReleased"; network: string };

/**
 * The answer of a request as its operation's result type. The effect layer checked it where the
 * driver answered (effects/executor.ts, domain/effects/answers.ts); what reaches decide otherwise is a malformed command, refused
 * as one, never a second verdict on the driver.
 */
function poolAnswer(raw: unknown): EffectResult<"requestPool"> {
  const r = effectTable.requestPool.result.safeParse(raw);
  if (!r.success) throw notAnAnswer("requestPool", r.error.issues);
  return r.data;
}

function addressAnswer(raw: unknown): EffectResult<"requestAddress"> {
  const r = effectTable.requestAddress.result.safeParse(raw);
  if (!r.success) throw notAnAnswer("requestAddress", r.error.issues);
  return r.data;
}

const notAnAnswer = (op: string, issues: { message: string }[]) =>
  invalid(`the answer recorded for ${op} is not one: ${issues[0]?.message ?? "malformed"}`);

/**
 * What decide refuses in an answer the effect layer found well formed, because only the state can
 * tell: a pool id the network already holds. Returns why, or null.
 */
export function refusedAnswer(s: State, fx: IpamEffect, raw: unknown): string | null {
  if (fx.op !== "requestPool") return null;
  const r = poolAnswer(raw);
  if (C.get(s.networks, fx.args.network)?.pools.some((p) => p.id === r.poolId))
    return `RequestPool returned pool id ${r.poolId} again for the same network`;
  return null;
}

/** A CIDR text checked by its result schema, as the subnet it names (host bits cleared) or the plain address. */
function canonical(cidr: string, as: "subnet" | "address"): string {
  const slash = cidr.indexOf("/");
  const ip = tryParseIp(cidr.slice(0, slash))!;
  return as === "subnet" ? subnetOf(ip.family, ip.value, Number(cidr.slice(slash + 1))).cidr : formatIp(ip.family, ip.value);
}

/**
 * What follows the outcome of an IPAM effect, planned on the state `s` with the outcome folded: the
 * answer as an ipam.* event and the next call of the chain, or what the chain was for (`next`). A
 * failed request is compensated elsewhere (outcome.ts); a failed release is recorded as done, since
 * libnetwork only logs it.
 */
export function ipamContinuation(s: State, fx: IpamEffect, ok: boolean, raw: unknown, ctx: DecideContext): { events: NewEvent[]; next: IpamNext | null } {
  switch (fx.op) {
    case "releaseAddress":
    case "releasePool": {
      const a = fx.args;
      const events = [releaseEvent(a.step!)];
      const rest = a.rest ?? [];
      if (rest.length > 0) events.push(releaseEffect(ctx, fx.resource, rest[0]!, rest.slice(1)));
      return { events, next: rest.length === 0 && fx.resource === a.network ? { kind: "networkReleased", network: a.network } : null };
    }
    case "requestPool": {
      const a = fx.args;
      const n = C.get(s.networks, a.network);
      if (!ok || !n || n.lifecycle !== "creating") return { events: [], next: null };
      const r = poolAnswer(raw);
      const data = r.data ?? {};
      const common = { network: n.id, driver: fx.driver, pool: r.poolId };
      const events: NewEvent[] = [
        {
          type: "ipam.pool.requested",
          stream: n.id,
          data: {
            ...common,
            addressSpace: a.request.addressSpace,
            family: a.family,
            subnet: canonical(r.pool, "subnet"),
            ipRange: a.request.subPool || null,
            data,
          },
        },
      ];
      // A gateway in the pool's data is the pool's, unless the user gave one (libnetwork's ipamAllocateVersion).
      const gw = data[gatewayLabel];
      const gwIp = gw === undefined || a.userGateway ? undefined : tryParseIp(gw.split("/")[0]!);
      if (gwIp && gwIp.family === a.family) events.push(addressEvent(common, n.id, ipText(gwIp), "gateway", false));
      return networkStep(s, n.id, events, ctx);
    }
    case "requestAddress": {
      if (!ok) return { events: [], next: null };
      const a = fx.args;
      const address = canonical(addressAnswer(raw).address, "address");
      const common = { network: a.network, driver: fx.driver, pool: a.request.poolId };
      const events = [addressEvent(common, a.owner, address, a.role, a.request.address === "", a.name)];
      if (a.role !== "endpoint") return networkStep(s, a.network, events, ctx);
      const after = preview(s, events);
      const ep = C.get(after.endpoints, a.owner);
      const n = C.get(after.networks, a.network);
      if (!ep || !n || ep.lifecycle !== "creating") return { events, next: null };
      const step = nextEndpointRequest(n, ep, { v6: a.preferred6 }, ctx);
      return step ? { events: [...events, step], next: null } : { events, next: { kind: "endpointReady", endpoint: ep.id } };
    }
  }
}

function networkStep(s: State, network: string, events: NewEvent[], ctx: DecideContext): { events: NewEvent[]; next: IpamNext | null } {
  const n = C.get(preview(s, events).networks, network);
  if (!n || n.lifecycle !== "creating") return { events, next: null };
  const step = nextNetworkRequest(n, ctx);
  return step ? { events: [...events, step], next: null } : { events, next: { kind: "networkReady", network } };
}
