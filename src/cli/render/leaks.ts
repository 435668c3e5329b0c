import type { SuspectedLeak } from "../../controller/suspectedLeaks.js";

/** A suspected leak for people: which driver, which pool, which request. */
export function describeLeak(l: SuspectedLeak): string {
  const what = l.op === "requestAddress" ? `an address of pool ${l.pool}` : "a pool";
  return `suspected leak: IPAM driver ${l.driver} may hold ${what} for ${l.owner.slice(0, 12)} (request ${JSON.stringify(l.request)}, effect ${l.effect}, seq ${l.seq}): its answer was lost; check the plugin and release it there`;
}
