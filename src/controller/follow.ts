import type { EventFilter, EventLog, EventRow } from "../store/eventLog.js";

export interface FollowOptions {
  /** Stops following when aborted (SIGINT in the CLI). */
  signal: AbortSignal;
  /** How often to look for new events; default 100 ms, so an append shows well within a second. */
  intervalMs?: number;
}

/**
 * Calls `emit` with the rows matching `filter` that are appended after seq `after`, as other processes
 * append them, until the signal aborts or the filter's `until` is passed. Polling is cheap: SQLite's
 * data_version changes only when another connection commits, and only then is the log queried.
 */
export async function follow(log: EventLog, filter: EventFilter, after: number, emit: (rows: EventRow[]) => void, opts: FollowOptions): Promise<void> {
  const interval = opts.intervalMs ?? 100;
  let seen = after;
  let version: number | undefined;
  while (!opts.signal.aborted) {
    const v = log.dataVersion();
    if (v !== version) {
      version = v;
      const head = log.head().seq;
      if (head > seen) {
        const rows = [...log.rows({ ...filter, since: Math.max(seen + 1, filter.since ?? 0), until: Math.min(head, filter.until ?? head) })];
        seen = head;
        if (rows.length > 0) emit(rows);
      }
      if (filter.until !== undefined && seen >= filter.until) return;
    }
    await sleep(interval, opts.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
