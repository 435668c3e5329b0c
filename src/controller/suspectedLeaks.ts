import type { EventData } from "../domain/events.js";
import type { GcReport } from "../effects/gc.js";
import { toEvent } from "../store/eventLog.js";
import type { Store } from "../store/store.js";

/**
 * What a remote IPAM driver may hold that nothing in the log names: a request for any address or pool
 * whose answer was lost when its process died (`ipam.leak.suspected`, decide/ipamLeaks.ts). `verify`
 * and `gc --dry-run` report them, by driver, pool and request, for an operator to check in the plugin.
 */
export type SuspectedLeak = EventData<"ipam.leak.suspected"> & { seq: number; time: string };

/** `netledger gc`'s report: the garbage found, and the suspected leaks it lists but cannot remove. */
export type LedgerGcReport = GcReport & { suspectedLeaks: SuspectedLeak[] };

export function suspectedLeaks(store: Store): SuspectedLeak[] {
  const out: SuspectedLeak[] = [];
  for (const row of store.log.rows({ type: "ipam.leak.suspected" })) {
    const e = toEvent(row);
    if (e.type === "ipam.leak.suspected") out.push({ seq: e.seq, time: e.meta.time, ...e.data });
  }
  return out;
}

