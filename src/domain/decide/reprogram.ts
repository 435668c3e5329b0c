import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { isNetledgerError } from "../errors.js";
import type { NewEvent } from "../events.js";
import type { NetworkRecord, State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { requestEffect } from "./effect.js";
import { joinArgs } from "./endpoint.js";
import { createNetworkArgs } from "./network.js";
import { deleteSandbox } from "./sandbox.js";

/**
 * Re-programming after a reboot (docs/architecture.md, recovery: a new boot id means the namespaces, links and nftables
 * rules are gone). Through events, as everything else:
 *
 * - each sandbox whose namespace is gone is deleted with its endpoints, exactly as `sandbox rm
 *   --force` would (the driver calls find nothing and succeed), as libnetwork removes dangling
 *   sandboxes at start-up;
 * - each active network of the named drivers is created again (REPROGRAM: active → creating, then a
 *   CreateNetwork marked `reprogram`); once that succeeds, its endpoints that are still joined are
 *   joined again (joined → joining → joined), in `continueReprogram`.
 *
 * Entities with a driver call in flight are left alone: their outcome is owed first (recovery settles
 * in-doubt effects before it re-programs), and re-programming can be run again.
 */
export function reprogram(s: State, cmd: CommandOf<"kernel.reprogram">, ctx: DecideContext): Decision {
  const events: NewEvent[] = [];
  for (const id of cmd.goneSandboxes) {
    if (!C.has(s.sandboxes, id)) continue;
    events.push(...skipBusy(() => deleteSandbox(s, { type: "sandbox.delete", sandbox: id, force: true }, ctx).events));
  }
  const drivers = new Set(cmd.drivers);
  for (const n of C.values(s.networks)) {
    if (!drivers.has(n.driver) || n.lifecycle !== "active" || C.has(s.effectsByResource, n.id)) continue;
    events.push(
      { type: "network.reprogrammed", stream: n.id, data: { id: n.id } },
      requestEffect(ctx, n.driver, "createNetwork", n.id, { ...createNetworkArgs(n), reprogram: true }),
    );
  }
  return { events };
}

/** A plan refused because an entity is busy is skipped, not an error: the next run takes it. */
function skipBusy(plan: () => NewEvent[]): NewEvent[] {
  try {
    return plan();
  } catch (e) {
    if (isNetledgerError(e) && (e.code === "Conflict" || e.code === "IllegalState")) return [];
    throw e;
  }
}

/** Once a re-programmed network exists again, its joined endpoints whose sandbox is ready join again. */
export function continueReprogram(s: State, n: NetworkRecord, ctx: DecideContext): NewEvent[] {
  const events: NewEvent[] = [];
  for (const epId of C.keys(n.endpoints)) {
    const ep = C.get(s.endpoints, epId)!;
    const sb = ep.sandbox !== null ? C.get(s.sandboxes, ep.sandbox) : undefined;
    if (ep.lifecycle !== "joined" || !sb || sb.lifecycle !== "ready" || C.has(s.effectsByResource, ep.id)) continue;
    events.push(
      { type: "endpoint.reprogrammed", stream: ep.id, data: { id: ep.id } },
      requestEffect(ctx, n.driver, "join", ep.id, joinArgs(n, ep, sb)),
    );
  }
  return events;
}
