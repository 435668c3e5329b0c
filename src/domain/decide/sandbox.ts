import { isIP } from "../addresses.js";
import * as C from "../collection.js";
import type { CommandOf } from "../commands.js";
import { conflict, illegalState, invalid } from "../errors.js";
import type { NewEvent } from "../events.js";
import { shortId } from "../ids.js";
import { sandboxMachine } from "../machines/sandbox.js";
import { canStep } from "../machines/step.js";
import { validateName } from "../names.js";
import { resolveSandbox } from "../resolve.js";
import type { SandboxRecord, State } from "../state.js";
import { type DecideContext, type Decision, sandboxDriver } from "./context.js";
import { requestEffect } from "./effect.js";
import { assertIdle, planEndpointRemoval } from "./endpoint.js";

/**
 * A sandbox's namespace needs the sandbox driver unless it is the host's. A process without one (the
 * CLI, say) still owes the call for a namespace another process made: it stays pending for one that has it.
 */
function needsNamespaceEffects(ctx: DecideContext, key: string | null): boolean {
  return key !== null && (ctx.drivers[sandboxDriver]?.sideEffects ?? true);
}

const hostnamePattern = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,252})$/;

/** What goes into the sandbox's hosts and resolv.conf files must be what those files can hold. */
function validateResolution(cmd: CommandOf<"sandbox.create">): void {
  for (const [what, v] of [["hostname", cmd.hostname], ["domain name", cmd.domainname]] as const)
    if (v !== "" && !hostnamePattern.test(v))
      throw invalid(`invalid ${what} "${v}": letters, digits, "-", "_" and ".", starting with a letter or digit`);
  for (const d of cmd.dns) if (!isIP(d)) throw invalid(`--dns "${d}" is not an IP address`);
  for (const h of cmd.extraHosts) {
    if (!isIP(h.ip)) throw invalid(`--add-host ${h.name}:${h.ip}: "${h.ip}" is not an IP address`);
    if (!hostnamePattern.test(h.name)) throw invalid(`--add-host ${h.name}:${h.ip}: "${h.name}" is not a host name`);
  }
}

/** libnetwork's NewSandbox: one sandbox per container. */
export function createSandbox(s: State, cmd: CommandOf<"sandbox.create">, ctx: DecideContext): Decision {
  validateName("container id", cmd.containerId);
  validateResolution(cmd);
  if (C.has(s.sandboxContainers, cmd.containerId))
    throw conflict(`container ${cmd.containerId} already has a sandbox (${shortId(C.get(s.sandboxContainers, cmd.containerId)!)})`);
  if (C.has(s.sandboxes, cmd.id)) throw conflict(`sandbox with id ${cmd.id} already exists`);
  if (cmd.netns !== undefined && cmd.netns !== null && !cmd.netns.startsWith("/"))
    throw invalid(`--netns must be an absolute path to a network namespace file, not "${cmd.netns}"`);
  const create = cmd.netns === undefined;
  const key = create ? `${ctx.netnsDir}/${cmd.id}` : (cmd.netns ?? null);
  if (key !== null && !ctx.drivers[sandboxDriver])
    throw invalid(
      `sandboxes with their own network namespace need the "${sandboxDriver}" sandbox driver, which is not available here; use --host-netns`,
    );
  const fx = needsNamespaceEffects(ctx, key);
  const events: NewEvent[] = [
    {
      type: "sandbox.created",
      stream: cmd.id,
      data: {
        id: cmd.id,
        containerId: cmd.containerId,
        key,
        hostname: cmd.hostname,
        domainname: cmd.domainname,
        dns: cmd.dns,
        extraHosts: cmd.extraHosts,
        pending: fx,
      },
    },
  ];
  if (fx && key !== null) events.push(requestEffect(ctx, sandboxDriver, "createSandbox", cmd.id, { sandboxId: cmd.id, key, create }));
  return { events, entity: { kind: "sandbox", id: cmd.id } };
}

/** The last step of a sandbox's deletion, once no endpoint is joined to it any more. */
export function planSandboxRelease(sb: SandboxRecord, ctx: DecideContext): NewEvent[] {
  if (sb.key !== null && needsNamespaceEffects(ctx, sb.key))
    return [requestEffect(ctx, sandboxDriver, "deleteSandbox", sb.id, { sandboxId: sb.id, key: sb.key })];
  return [{ type: "sandbox.deleted", stream: sb.id, data: { id: sb.id, pending: false } }];
}

/**
 * libnetwork's Sandbox.Delete: every joined endpoint leaves and is deleted, then the namespace goes.
 * With --force a sandbox whose namespace could not be made (failed) is dropped without a driver call.
 */
export function deleteSandbox(s: State, cmd: CommandOf<"sandbox.delete">, ctx: DecideContext): Decision {
  const sb = resolveSandbox(s, cmd.sandbox);
  assertIdle(s, sb.id, `sandbox ${shortId(sb.id)}`, sb.lifecycle);
  if (cmd.force && sb.lifecycle === "failed" && sb.endpoints.length === 0)
    return { events: [{ type: "sandbox.deleted", stream: sb.id, data: { id: sb.id, pending: false, force: true } }], entity: { kind: "sandbox", id: sb.id } };
  if (!canStep(sandboxMachine, sb.lifecycle, "DELETE"))
    throw illegalState(`sandbox ${shortId(sb.id)} is ${sb.lifecycle}; it cannot be deleted now`);
  const events: NewEvent[] = [];
  let remaining = 0;
  for (const epId of sb.endpoints) {
    const ep = C.get(s.endpoints, epId)!;
    const planned = planEndpointRemoval(s, ep, ctx);
    events.push(...planned);
    // The endpoint is gone within this decision only when no driver call was requested for it.
    if (planned.some((e) => e.type === "effect.requested")) remaining++;
  }
  if (remaining > 0 || needsNamespaceEffects(ctx, sb.key)) {
    events.push({ type: "sandbox.deleted", stream: sb.id, data: { id: sb.id, pending: true } });
    if (remaining === 0) events.push(...planSandboxRelease(sb, ctx));
  } else {
    events.push({ type: "sandbox.deleted", stream: sb.id, data: { id: sb.id, pending: false } });
  }
  return { events, entity: { kind: "sandbox", id: sb.id } };
}
