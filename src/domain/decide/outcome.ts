import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { conflict } from "../errors.js";
import type { NewEvent, StoredEvent } from "../events.js";
import { evolve } from "../evolve.js";
import type { EffectRecord, State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { requestEffect } from "./effect.js";
import { joinArgs, planEndpointRemoval, planJoin } from "./endpoint.js";
import { continueReprogram } from "./reprogram.js";
import { planSandboxRelease } from "./sandbox.js";

function openEffect(s: State, id: number): EffectRecord {
  const fx = C.get(s.effects, String(id));
  if (!fx) throw conflict(`effect ${id} is not open: its outcome is already recorded`, { effect: id });
  return fx;
}

/**
 * The outcome of a driver call, and everything that follows from it (DESIGN §1 step 4): the next step
 * of a multi-step command (connect's join, disconnect's delete, a forced network delete once its
 * endpoints are gone) or the compensation of a failure. Continuations are planned against the state
 * as it will be once the outcome is folded, so their checks see the entity settled.
 */
export function decideOutcome(s: State, cmd: CommandOf<"effect.outcome">, ctx: DecideContext): Decision {
  const fx = openEffect(s, cmd.effect);
  const outcome: NewEvent = cmd.ok
    ? { type: "effect.succeeded", stream: fx.resource, data: { effect: fx.id, result: cmd.result ?? null } }
    : { type: "effect.failed", stream: fx.resource, data: { effect: fx.id, error: cmd.error } };
  const after = evolve(s, [{ ...outcome, seq: s.seq + 1, version: 1, meta: { actor: "", time: "" }, hash: "" } as StoredEvent]);
  const next = fx.inverse ? [] : continuation(after, fx, cmd.ok, { ...ctx, root: fx.root });
  return { events: [outcome, ...next] };
}

function continuation(s: State, fx: EffectRecord, ok: boolean, ctx: DecideContext): NewEvent[] {
  switch (fx.op) {
    case "createNetwork": {
      const n = C.get(s.networks, fx.resource);
      return ok && n && fx.args["reprogram"] === true ? continueReprogram(s, n, ctx) : [];
    }
    case "createEndpoint": {
      const ep = C.get(s.endpoints, fx.resource);
      if (!ep) return [];
      if (!ok) {
        // A failed `network connect` leaves nothing behind, as libnetwork's rollback does.
        return ep.then && "join" in ep.then ? [{ type: "endpoint.deleted", stream: ep.id, data: { id: ep.id, pending: false, force: true } }] : [];
      }
      if (ep.then && "join" in ep.then) {
        const sb = C.get(s.sandboxes, ep.then.join);
        const n = C.get(s.networks, ep.network)!;
        if (!sb || sb.lifecycle !== "ready") return [];
        const events = planJoin(s, n, ep, sb, ctx);
        // Mark the join as part of a connect, so that its failure removes the endpoint too.
        return events.map((e) =>
          e.type === "effect.requested" ? { ...e, data: { ...e.data, args: { ...joinArgs(n, ep, sb), connect: true } } } : e,
        );
      }
      return [];
    }
    case "join": {
      if (ok || fx.args["connect"] !== true) return [];
      const ep = C.get(s.endpoints, fx.resource);
      return ep ? planEndpointRemoval(s, ep, ctx, true) : [];
    }
    case "leave": {
      const ep = C.get(s.endpoints, fx.resource);
      if (!ep || !ok) return [];
      const events: NewEvent[] = [];
      if (ep.then && "remove" in ep.then) events.push(...planEndpointRemoval(s, ep, ctx, true));
      // Having left, the endpoint is detached; a sandbox being deleted goes once none is joined.
      const sb = C.get(s.sandboxes, fx.args["sandboxId"] as string);
      if (sb && sb.lifecycle === "deleting" && sb.endpoints.length === 0) events.push(...planSandboxRelease(sb, ctx));
      return events;
    }
    case "deleteEndpoint": {
      if (!ok) return [];
      const networkId = fx.args["networkId"] as string;
      const n = C.get(s.networks, networkId);
      if (n && n.lifecycle === "deleting" && n.endpoints.size === 0)
        return [requestEffect(ctx, n.driver, "deleteNetwork", n.id, { networkId: n.id })];
      return [];
    }
    default:
      return [];
  }
}

/** A new attempt at an open effect, recorded before the call is made again. */
export function decideRetry(s: State, cmd: CommandOf<"effect.retry">, ctx: DecideContext): Decision {
  const fx = openEffect(s, cmd.effect);
  return { events: [{ type: "effect.attempted", stream: fx.resource, data: { effect: fx.id, attempt: ctx.attempt } }] };
}
