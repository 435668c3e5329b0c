import type { NewEvent } from "../events.js";
import type { IpamEffect } from "./ipamOutcome.js";

/**
 * How many earlier attempts of an effect may have reached its driver and been answered with the answer
 * lost: those of processes that died (each took-over attempt), less those recorded as unsent.
 */
export function attemptsInDoubt(fx: Pick<IpamEffect, "attempts" | "unsent">): number {
  return Math.max(0, fx.attempts.length - 1 - (fx.unsent ?? 0));
}

/**
 * A request for any address, or any pool, that was in doubt (docs/architecture.md, recovery): an
 * earlier attempt may have been given one whose answer was lost. Nothing names it, so nothing can
 * release it (a request for a given address or pool is released by what it asked: see the effect
 * table), and it is recorded as a suspected leak, for `verify` and `gc` to report by driver, pool and
 * request. Decided with the outcome of the request that was taken over, whatever that outcome is.
 */
export function suspectedLeak(fx: IpamEffect): NewEvent[] {
  if (fx.inverse || (fx.op !== "requestPool" && fx.op !== "requestAddress")) return [];
  const lost = attemptsInDoubt(fx);
  if (lost === 0) return [];
  const a = fx.args;
  const dynamic = fx.op === "requestPool" ? fx.args.request.pool === "" : fx.args.request.address === "";
  if (!dynamic) return [];
  return [
    {
      type: "ipam.leak.suspected",
      stream: a.owner,
      data: {
        driver: fx.driver,
        network: a.network,
        owner: a.owner,
        effect: fx.id,
        op: fx.op,
        pool: fx.op === "requestAddress" ? fx.args.request.poolId : null,
        request: { ...a.request },
        lost,
      },
    },
  ];
}
