import type { EffectArgs, EffectOf, EffectOp, TypedEffect } from "../effects/table.js";
import type { ErrorInfo, NewEvent } from "../events.js";
import type { DecideContext } from "./context.js";

type Options = { inverse?: boolean; root?: string; failure?: ErrorInfo };

/** An effect intent for a driver call, served to the command in ctx; `args` are typed by `op`. */
export function requestEffect<O extends EffectOp>(
  ctx: DecideContext,
  driver: string,
  op: O,
  resource: string,
  args: EffectArgs<O>,
  opts: Options = {},
): NewEvent {
  // TypeScript does not correlate a generic op with its args: `args: EffectArgs<O>` is what makes the pair one member.
  const effect: EffectOf<O> = { op, args };
  return requestTyped(ctx, driver, resource, effect as TypedEffect, opts);
}

/** The same, for an effect whose operation is only known as a member of the union (an undo, say). */
export function requestTyped(ctx: DecideContext, driver: string, resource: string, effect: TypedEffect, opts: Options = {}): NewEvent {
  return {
    type: "effect.requested",
    stream: resource,
    data: {
      driver,
      ...effect,
      resource,
      root: opts.root ?? ctx.root,
      attempt: ctx.attempt,
      ...(opts.inverse ? { inverse: true } : {}),
      ...(opts.failure ? { failure: opts.failure } : {}),
    },
  };
}
