import { apply, seal } from "../domain/evolve.js";
import { emptyState, reducerVersion, type State } from "../domain/state.js";
import { corrupt } from "../domain/errors.js";
import { type Head, toEvent } from "../store/eventLog.js";
import type { Store } from "../store/store.js";

export interface Loaded {
  state: State;
  head: Head;
  /** Events folded after the snapshot (or from the start). */
  replayed: number;
  fromSnapshot: number | null;
}

export type Progress = (done: number, total: number) => void;

function hashAt(store: Store, seq: number): string {
  const hash = store.log.hashAt(seq);
  if (hash === undefined) throw corrupt(`snapshot at seq ${seq} has no event ${seq} in the log: the log was cut short`, { seq });
  return hash;
}

/**
 * The state at `until` (default: the head): the latest usable snapshot at or before it, then the events
 * after it folded in place (no immer per event: this state is private until sealed).
 */
export function loadState(store: Store, opts: { until?: number; useSnapshots?: boolean; onProgress?: Progress } = {}): Loaded {
  const snap = opts.useSnapshots === false ? undefined : store.latestSnapshotState(reducerVersion, opts.until);
  const state: State = snap ? snap.state : emptyState();
  let hash = hashAt(store, state.seq);
  const start = state.seq;
  const total = opts.onProgress ? Math.max(0, (opts.until ?? store.log.head().seq) - start) : 0;
  let n = 0;
  for (const row of store.log.rowsAfter(state.seq)) {
    if (opts.until !== undefined && row.seq > opts.until) break;
    apply(state, toEvent(row));
    hash = row.hash;
    n++;
    if (opts.onProgress && (n & 0x3fff) === 0) opts.onProgress(n, total);
  }
  opts.onProgress?.(n, total);
  return { state: seal(state), head: { seq: state.seq, hash }, replayed: n, fromSnapshot: snap ? snap.seq : null };
}
