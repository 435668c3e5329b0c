import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { conflict } from "../errors.js";
import type { NewEvent } from "../events.js";
import { ipamOps, isIpamOp } from "../ipam/ops.js";
import type { EffectRecord, State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { requestEffect } from "./effect.js";
import { endpointArgs, joinArgs, planEndpointRemoval, planJoin } from "./endpoint.js";
import { checkIpamAnswer, endpointReleases, ipamContinuation, networkReleases, planReleases } from "./ipam.js";
import { createNetworkEffect, networkDriverStep, planNetworkTeardown } from "./network.js";
import { preview } from "./preview.js";
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
  // An IPAM driver's answer that does not fit the request counts as the call's failure.
  const checked = cmd.ok && isIpamOp(fx.op) && !fx.inverse ? checkIpamAnswer(s, fx, cmd.result) : { answer: cmd.ok ? cmd.result : undefined };
  const ok = cmd.ok && "answer" in checked;
  const outcome: NewEvent = ok
    ? { type: "effect.succeeded", stream: fx.resource, data: { effect: fx.id, result: (cmd.ok ? cmd.result : null) ?? null } }
    : {
        type: "effect.failed",
        stream: fx.resource,
        data: { effect: fx.id, error: cmd.ok ? { code: "DriverError", message: `IPAM driver ${fx.driver}: ${(checked as { error: string }).error}` } : cmd.error },
      };
  if (fx.inverse) return { events: [outcome] };
  const c = { ...ctx, root: fx.root };
  const after = preview(s, [outcome]);
  const undo = compensation(s, after, fx, ok, c);
  const next = continuation(preview(after, undo), fx, ok, "answer" in checked ? checked.answer : undefined, c);
  return { events: [outcome, ...undo, ...next] };
}

/**
 * What gives back an entity's IPAM holdings after an outcome, libnetwork's rollbacks in one place: a
 * network whose creation failed (its driver's CreateNetwork or an IPAM request) releases its pools; an
 * endpoint whose creation failed releases its addresses; so does an endpoint once DeleteEndpoint has
 * answered, whatever it answered (libnetwork logs a failed DeleteEndpoint and releases anyway).
 * `before` is the state without the outcome, `after` with it (a deleted endpoint is gone from it).
 */
export function compensation(before: State, after: State, fx: EffectRecord, ok: boolean, ctx: DecideContext): NewEvent[] {
  const failedCreate = !ok && (fx.op === "createNetwork" || fx.op === "createEndpoint" || fx.op === "requestPool" || fx.op === "requestAddress");
  if (fx.op === "deleteEndpoint" || failedCreate) {
    const ep = C.get(before.endpoints, fx.resource);
    if (ep) {
      const n = C.get(after.networks, ep.network);
      return planReleases(ctx, n, ep.id, endpointReleases(n, C.get(after.endpoints, ep.id) ?? ep));
    }
    const n = C.get(after.networks, fx.resource);
    if (n && failedCreate) return planReleases(ctx, n, n.id, networkReleases(n));
  }
  return [];
}

/** A failed `network connect` leaves nothing behind, as libnetwork's rollback does. */
function abandonConnect(s: State, endpoint: string): NewEvent[] {
  const ep = C.get(s.endpoints, endpoint);
  return ep && ep.then && "join" in ep.then && ep.lifecycle === "failed"
    ? [{ type: "endpoint.deleted", stream: ep.id, data: { id: ep.id, pending: false, force: true } }]
    : [];
}

function continuation(s: State, fx: EffectRecord, ok: boolean, answer: unknown, ctx: DecideContext): NewEvent[] {
  if (isIpamOp(fx.op)) {
    // A failed request fails its entity (evolve) and is compensated above; a failed release is still
    // recorded as done, since libnetwork only logs it, and its chain goes on.
    if (!ok && ipamOps[fx.op].request) return abandonConnect(s, fx.resource);
    const { events, next } = ipamContinuation(s, fx, ok, answer, ctx);
    if (!next) return events;
    const after = preview(s, events);
    switch (next.kind) {
      case "networkReady":
        return [...events, createNetworkEffect(ctx, C.get(after.networks, next.network)!)];
      case "endpointReady": {
        const ep = C.get(after.endpoints, next.endpoint)!;
        const n = C.get(after.networks, ep.network)!;
        return [...events, requestEffect(ctx, n.driver, "createEndpoint", ep.id, endpointArgs(n, ep))];
      }
      case "networkReleased": {
        const n = C.get(after.networks, next.network);
        return n && n.lifecycle === "deleting" ? [...events, ...networkDriverStep(ctx, n)] : events;
      }
    }
  }
  switch (fx.op) {
    case "createEndpoint": {
      const ep = C.get(s.endpoints, fx.resource);
      if (!ep) return [];
      if (!ok) return abandonConnect(s, ep.id);
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
      if (n && n.lifecycle === "deleting" && n.endpoints.size === 0) return planNetworkTeardown(ctx, n);
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
