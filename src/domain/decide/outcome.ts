import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { driverMayHaveActed, isIpamEffect, isIpamRequest, undoEffect } from "../effects/table.js";
import { conflict, isNetledgerError } from "../errors.js";
import type { ErrorInfo, NewEvent } from "../events.js";
import { shortId } from "../ids.js";
import type { EffectRecord, EndpointRecord, State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { requestEffect, requestTyped } from "./effect.js";
import { endpointArgs, joinArgs, planEndpointRemoval, planJoin } from "./endpoint.js";
import { endpointReleases, ipamContinuation, type IpamEffect, networkReleases, planReleases, refusedAnswer } from "./ipam.js";
import { createNetworkEffect, networkDriverStep, planNetworkTeardown } from "./network.js";
import { suspectedLeak } from "./ipamLeaks.js";
import { preview } from "./preview.js";
import { continueReprogram } from "./reprogram.js";
import { planSandboxRelease } from "./sandbox.js";

function openEffect(s: State, id: number): EffectRecord {
  const fx = C.get(s.effects, String(id));
  if (!fx) throw conflict(`effect ${id} is not open: its outcome is already recorded`, { effect: id });
  return fx;
}

/**
 * The outcome of a driver call, and everything that follows from it (docs/architecture.md, the flow of one command step 4): on success
 * the next step of a multi-step command (connect's join, disconnect's delete, a forced delete once
 * its members are gone); on failure the compensation. Both are planned against the state as it will
 * be once the outcome is folded, so their checks see the entity settled.
 *
 * An outcome whose attempt another has superseded (a takeover recorded since the call was made) is
 * refused, as is a second outcome: the first one recorded wins, and a late answer changes nothing.
 */
export function decideOutcome(s: State, cmd: CommandOf<"effect.outcome">, ctx: DecideContext): Decision {
  const fx = openEffect(s, cmd.effect);
  if (cmd.attempt !== fx.attempts.length)
    throw conflict(`effect ${fx.id}: attempt ${cmd.attempt} was superseded by attempt ${fx.attempts.length}; its outcome is not recorded`, {
      effect: fx.id,
    });
  // The effect layer checked the answer against its operation's schema; what only the state can tell is checked here.
  const refused = cmd.ok && !fx.inverse && isIpamEffect(fx) ? refusedAnswer(s, fx, cmd.result) : null;
  const ok = cmd.ok && refused === null;
  const error: ErrorInfo = cmd.ok ? { code: "DriverError", message: `IPAM driver ${fx.driver}: ${refused ?? ""}` } : cmd.error;
  const outcome: NewEvent = ok
    ? { type: "effect.succeeded", stream: fx.resource, data: { effect: fx.id, result: (cmd.ok ? cmd.result : null) ?? null } }
    : { type: "effect.failed", stream: fx.resource, data: { effect: fx.id, error } };
  const after = preview(s, [outcome]);
  const c = { ...ctx, root: fx.root };
  if (fx.inverse) return { events: [outcome, ...afterUndo(after, fx, c)] };
  // With an undo owed on the same resource (a create that may have been made), the releases wait for
  // its answer (afterUndo): one call per resource at a time, and the undo needs what it undoes.
  const undoFirst = !ok && !isIpamEffect(fx) && undoEffect(fx) !== null && driverMayHaveActed(error.code);
  const released = releasesUnlessUndoOwed(releases(s, after, fx, ok, c), undoFirst);
  const settled = released.length > 0 ? preview(after, released) : after;
  if (isIpamEffect(fx))
    return { events: [outcome, ...suspectedLeak(fx), ...released, ...ipamNext(settled, fx, ok, cmd.ok ? cmd.result : undefined, c)] };
  const next = ok ? continuation(settled, fx, c) : compensation(settled, fx, error, c);
  const gone = ok ? [] : removeFailedCreate(preview(settled, next), fx, released);
  return { events: [outcome, ...released, ...next, ...gone] };
}

/**
 * A create the driver refused leaves nothing, as in libnetwork (whose NewNetwork, CreateEndpoint and
 * NewSandbox roll back and return the error): the failed entity is removed in the same outcome, its
 * name free again. An undo owed (the driver may have acted) is still sent, as its own inverse effect.
 * While its IPAM releases are calls still to make (a remote IPAM), the entity stays, failed, so that
 * the chain finds what it releases for; `rm` removes it then.
 */
function removeFailedCreate(s: State, fx: EffectRecord, released: readonly NewEvent[]): NewEvent[] {
  if (!createOps.has(fx.op) || released.some((e) => e.type === "effect.requested")) return [];
  return removeIfFailed(s, fx.resource);
}

const createOps = new Set<string>(["createNetwork", "createEndpoint", "createSandbox", "requestPool", "requestAddress"]);

function removeIfFailed(s: State, resource: string): NewEvent[] {
  const ep = C.get(s.endpoints, resource);
  if (ep?.lifecycle === "failed" && !C.has(s.effectsByResource, ep.id))
    return [{ type: "endpoint.deleted", stream: ep.id, data: { id: ep.id, pending: false, force: true } }];
  const sb = C.get(s.sandboxes, resource);
  // One with an endpoint joining it (a connect sent with it: joinable.ts) stays failed until that has left.
  if (sb?.lifecycle === "failed" && sb.endpoints.length === 0 && !C.has(s.effectsByResource, sb.id))
    return [{ type: "sandbox.deleted", stream: sb.id, data: { id: sb.id, pending: false, force: true } }];
  const n = C.get(s.networks, resource);
  if (n?.lifecycle === "failed" && n.endpoints.size === 0 && !C.has(s.effectsByResource, n.id))
    return [{ type: "network.deleted", stream: n.id, data: { id: n.id, pending: false } }];
  return [];
}

/**
 * What gives back an entity's IPAM holdings after an outcome, libnetwork's rollbacks in one place: a
 * network whose creation failed (its driver's CreateNetwork or an IPAM request) releases its pools; an
 * endpoint whose creation failed releases its addresses; so does an endpoint once DeleteEndpoint has
 * answered, whatever it answered (libnetwork logs a failed DeleteEndpoint and releases anyway).
 * `before` is the state without the outcome, `after` with it (a deleted endpoint is gone from it).
 */
function releases(before: State, after: State, fx: EffectRecord, ok: boolean, ctx: DecideContext): NewEvent[] {
  // A network re-programmed after a reboot keeps its pools whatever its CreateNetwork answers.
  const reprogram = fx.op === "createNetwork" && fx.args.reprogram === true;
  const failedCreate = !ok && !reprogram && (fx.op === "createNetwork" || fx.op === "createEndpoint" || fx.op === "requestPool" || fx.op === "requestAddress");
  return fx.op === "deleteEndpoint" || failedCreate ? heldReleases(before, after, fx.resource, failedCreate, ctx) : [];
}

/** What an endpoint (or, with `network`, a network whose creation failed) holds of its IPAM, as releases. */
function heldReleases(before: State, after: State, resource: string, network: boolean, ctx: DecideContext): NewEvent[] {
  const ep = C.get(before.endpoints, resource);
  if (ep) {
    const n = C.get(after.networks, ep.network);
    return planReleases(ctx, n, ep.id, endpointReleases(n, C.get(after.endpoints, ep.id) ?? ep));
  }
  const n = C.get(after.networks, resource);
  return n && network ? planReleases(ctx, n, n.id, networkReleases(n)) : [];
}

/** Releases made as driver calls wait for an undo owed on the same resource; releases as events do not. */
function releasesUnlessUndoOwed(released: NewEvent[], undoOwed: boolean): NewEvent[] {
  return undoOwed && released.some((e) => e.type === "effect.requested") ? [] : released;
}

/** A failed `network connect` leaves nothing behind, as libnetwork's rollback does. */
function abandonConnect(s: State, endpoint: string): NewEvent[] {
  const ep = C.get(s.endpoints, endpoint);
  return ep && ep.then && "join" in ep.then && ep.lifecycle === "failed"
    ? [{ type: "endpoint.deleted", stream: ep.id, data: { id: ep.id, pending: false, force: true } }]
    : [];
}

/** The next step after an IPAM driver's answer: the next request or release of a chain, then the driver call. */
function ipamNext(s: State, fx: IpamEffect, ok: boolean, answer: unknown, ctx: DecideContext): NewEvent[] {
  // A failed request fails its entity (evolve) and is compensated above; a failed release is still
  // recorded as done, since libnetwork only logs it, and its chain goes on.
  if (!ok && isIpamRequest(fx.op)) return abandonConnect(s, fx.resource);
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

/** The next step once a call has succeeded. */
function continuation(s: State, fx: EffectRecord, ctx: DecideContext): NewEvent[] {
  switch (fx.op) {
    case "createNetwork": {
      const n = C.get(s.networks, fx.resource);
      return n && fx.args.reprogram === true ? continueReprogram(s, n, ctx) : [];
    }
    case "createEndpoint": {
      const ep = C.get(s.endpoints, fx.resource);
      if (ep?.then && "join" in ep.then) return connectJoin(s, ep, ep.then.join, ctx);
      return [];
    }
    case "leave": {
      const ep = C.get(s.endpoints, fx.resource);
      if (!ep) return [];
      const events: NewEvent[] = [];
      if (ep.then && "remove" in ep.then) events.push(...planEndpointRemoval(s, ep, ctx));
      // Having left, the endpoint is detached; a sandbox being deleted goes once none is joined.
      const sb = C.get(s.sandboxes, fx.args.sandboxId);
      if (sb && sb.lifecycle === "deleting" && sb.endpoints.length === 0) events.push(...planSandboxRelease(sb, ctx));
      return events;
    }
    case "deleteEndpoint": {
      const n = C.get(s.networks, fx.args.networkId);
      if (n && n.lifecycle === "deleting" && n.endpoints.size === 0) return planNetworkTeardown(ctx, n);
      return [];
    }
    default:
      return [];
  }
}

/**
 * `network connect`, second step: join the sandbox now that the endpoint exists. When the join can no
 * longer be made (the sandbox went away or is busy since the connect was decided), the endpoint is
 * removed again and the connect fails with the reason, carried on the removal's intent.
 */
function connectJoin(s: State, ep: EndpointRecord, sandboxId: string, ctx: DecideContext): NewEvent[] {
  const n = C.get(s.networks, ep.network)!;
  const sb = C.get(s.sandboxes, sandboxId);
  try {
    if (!sb) throw conflict(`sandbox ${shortId(sandboxId)} was deleted before endpoint ${ep.name} could join it`);
    const events = planJoin(s, n, ep, sb, ctx);
    // Mark the join as part of a connect, so that its failure removes the endpoint too.
    return events.map((e) =>
      e.type === "effect.requested" && e.data.op === "join" ? { ...e, data: { ...e.data, args: { ...joinArgs(n, ep, sb), connect: true } } } : e,
    );
  } catch (e) {
    if (!isNetledgerError(e)) throw e;
    return planEndpointRemoval(s, ep, ctx, { failure: { code: e.code, message: e.message } });
  }
}

/**
 * The compensation of a failed driver call: what the failure leaves to undo or to stop, planned against
 * the state with the failure folded in (the entity already moved by `<VERB>_FAILED`), all as events:
 *
 * - the inverse call (`undo` in the effect table), when the driver may have acted although the call did not
 *   succeed (a timeout or a malformed answer): a plugin that created the endpoint and then hung keeps
 *   it otherwise. It is sent as its own effect, marked `inverse`, so it moves no lifecycle;
 * - the rollback of `network connect`: a failed create or join removes the endpoint again;
 * - the end of a deletion that was waiting on this call: a forced network delete whose endpoint could
 *   not be removed, or a sandbox delete whose endpoint could not leave, stops and keeps the entity.
 *
 * Resources the controller itself holds are released here too (IPAM: the endpoint's addresses when
 * its create fails or it is rolled back, the network's pools when its create fails).
 */
function compensation(s: State, fx: EffectRecord, error: ErrorInfo, ctx: DecideContext): NewEvent[] {
  const events: NewEvent[] = [];
  const undo = undoEffect(fx);
  const undoOwed = undo !== null && driverMayHaveActed(error.code);
  switch (fx.op) {
    case "createEndpoint": {
      const ep = C.get(s.endpoints, fx.resource);
      // A failed `network connect` leaves nothing behind, as libnetwork's rollback does.
      if (ep?.then && "join" in ep.then) events.push({ type: "endpoint.deleted", stream: ep.id, data: { id: ep.id, pending: false, force: true } });
      break;
    }
    case "join": {
      const ep = C.get(s.endpoints, fx.resource);
      // With an undo owed the removal waits for it (afterUndo): one call per resource at a time.
      if (!undoOwed && ep?.then && "remove" in ep.then) events.push(...planEndpointRemoval(s, ep, ctx));
      // A sandbox whose namespace check failed while this join was under way (joinable.ts) goes now.
      events.push(...removeIfFailed(s, fx.args.sandboxId));
      break;
    }
    case "leave":
      events.push(...abortSandboxDeletion(s, fx.args.sandboxId, error));
      events.push(...abortNetworkDeletion(s, fx.args.networkId, error));
      break;
    case "deleteEndpoint":
      events.push(...abortNetworkDeletion(s, fx.args.networkId, error));
      break;
    case "createNetwork":
    case "deleteNetwork":
    case "createSandbox":
    case "deleteSandbox":
      // The lifecycle moved already (failed; a network whose delete failed is gone, as in libnetwork).
      break;
    case "requestPool":
    case "releasePool":
    case "requestAddress":
    case "releaseAddress":
      // An IPAM driver's failure is compensated by its releases (`releases`) and what follows it (`ipamNext`).
      return [];
  }
  if (undoOwed) events.push(requestTyped(ctx, fx.driver, fx.resource, undo, { inverse: true }));
  return events;
}

/** What waited on an inverse call: a failed create's removal, or a connect's endpoint whose join had to be undone. */
function afterUndo(s: State, fx: EffectRecord, ctx: DecideContext): NewEvent[] {
  // The undo of a create in doubt has answered: the IPAM releases it held back are made now, and the
  // failed entity goes once nothing is left to release (removeFailedCreate).
  if (fx.op === "deleteEndpoint" || fx.op === "deleteNetwork") {
    const released = C.get(s.endpoints, fx.resource)?.lifecycle === "failed" || C.get(s.networks, fx.resource)?.lifecycle === "failed" ? heldReleases(s, s, fx.resource, true, ctx) : [];
    return released.length > 0 ? released : removeIfFailed(s, fx.resource);
  }
  if (fx.op === "deleteSandbox") return removeIfFailed(s, fx.resource);
  if (fx.op !== "leave") return [];
  const ep = C.get(s.endpoints, fx.resource);
  if (ep?.then && "remove" in ep.then && ep.sandbox === null) return planEndpointRemoval(s, ep, ctx);
  return [];
}

function abortNetworkDeletion(s: State, networkId: string, error: ErrorInfo): NewEvent[] {
  const n = C.get(s.networks, networkId);
  if (!n || n.lifecycle !== "deleting") return [];
  return [{ type: "network.deleteAborted", stream: n.id, data: { id: n.id, error } }];
}

function abortSandboxDeletion(s: State, sandboxId: string, error: ErrorInfo): NewEvent[] {
  const sb = C.get(s.sandboxes, sandboxId);
  if (!sb || sb.lifecycle !== "deleting") return [];
  return [{ type: "sandbox.deleteAborted", stream: sb.id, data: { id: sb.id, error } }];
}

/**
 * An attempt that sent nothing (the driver could not be reached) is recorded so, as long as every
 * attempt before it sent nothing too: then the effect is pending, not in doubt, once its process is
 * gone, and recovery sends it once without an undo. Anything else is not recorded (no events).
 */
export function decideUnsent(s: State, cmd: CommandOf<"effect.unsent">): Decision {
  const fx = openEffect(s, cmd.effect);
  if (cmd.attempt !== fx.attempts.length || (fx.unsent ?? 0) !== cmd.attempt - 1) return { events: [] };
  return { events: [{ type: "effect.unsent", stream: fx.resource, data: { effect: fx.id, attempt: cmd.attempt, error: cmd.error } }] };
}

/**
 * This process takes over an open effect whose process is gone (a crash, a reboot): a new attempt is
 * recorded before the call is made again under the effect's in-doubt policy. `seen` fences the race
 * of two processes taking the same effect over: the second finds an attempt it did not see.
 */
export function decideRetry(s: State, cmd: CommandOf<"effect.retry">, ctx: DecideContext): Decision {
  const fx = openEffect(s, cmd.effect);
  if (cmd.seen !== fx.attempts.length)
    throw conflict(`effect ${fx.id} was taken over by another process (attempt ${fx.attempts.length})`, { effect: fx.id });
  return { events: [{ type: "effect.attempted", stream: fx.resource, data: { effect: fx.id, attempt: ctx.attempt } }] };
}
