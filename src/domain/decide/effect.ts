import type { EffectOp } from "../effectOps.js";
import type { ErrorInfo, NewEvent } from "../events.js";
import type { IpamOp } from "../ipam/ops.js";
import type { DecideContext } from "./context.js";

/** An effect intent for a driver call, served to the command in ctx. */
export function requestEffect(
  ctx: DecideContext,
  driver: string,
  op: EffectOp | IpamOp,
  resource: string,
  args: Record<string, unknown>,
  opts: { inverse?: boolean; root?: string; failure?: ErrorInfo } = {},
): NewEvent {
  return {
    type: "effect.requested",
    stream: resource,
    data: {
      driver,
      op,
      resource,
      args,
      root: opts.root ?? ctx.root,
      attempt: ctx.attempt,
      ...(opts.inverse ? { inverse: true } : {}),
      ...(opts.failure ? { failure: opts.failure } : {}),
    },
  };
}
