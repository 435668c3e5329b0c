import { apply, seal } from "../domain/evolve.js";
import { emptyState, reducerVersion, type State } from "../domain/state.js";
import { asNetledgerError, corrupt, NetledgerError } from "../domain/errors.js";
import { type Head, toEvent } from "../store/eventLog.js";
import { genesisHash } from "../store/hashChain.js";
import type { ReadableLog } from "../store/readLog.js";
import { brokenLogText, checkTail } from "../store/tailCheck.js";

export interface Loaded {
  state: State;
  head: Head;
  /** Events folded after the snapshot (or from the start). */
  replayed: number;
  fromSnapshot: number | null;
}

export type Progress = (done: number, total: number) => void;

function hashAt(store: ReadableLog, seq: number): string {
  const hash = store.log.hashAt(seq);
  if (hash === undefined) throw corrupt(`snapshot at seq ${seq} has no event ${seq} in the log: the log was cut short`, { seq });
  return hash;
}

/**
 * The state at `until` (default: the head): the latest usable snapshot at or before it, then the events
 * after it folded in place (no immer per event: this state is private until sealed).
 */
export function loadState(store: ReadableLog, opts: { until?: number; useSnapshots?: boolean; onProgress?: Progress } = {}): Loaded {
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

/**
 * The state an open starts from, and what is wrong with the log if anything. A writer refuses a log
 * it cannot fold or whose chain is broken (a new event would be chained onto bad rows); a reader still
 * opens it, so that verify and the other read-side tools can name what is wrong, with a warning.
 */
export function loadForOpen(store: ReadableLog): { loaded: Loaded; loadError?: NetledgerError; warning?: string } {
  const hint = `; run "netledger verify" to see what is wrong`;
  let loaded: Loaded;
  try {
    loaded = loadState(store);
  } catch (e) {
    const err = asNetledgerError(e, "Corrupt");
    if (!store.readonly) throw new NetledgerError(err.code, `${err.message}${hint}`, err.details);
    // A bad snapshot is only an optimisation lost: reads go on from a full replay.
    try {
      loaded = loadState(store, { useSnapshots: false });
    } catch {
      const empty = { state: emptyState(), head: { seq: 0, hash: genesisHash }, replayed: 0, fromSnapshot: null };
      return { loaded: empty, loadError: err, warning: err.message };
    }
    const broken = checkTail(store, { fromSeq: 0 });
    return { loaded, warning: broken ? brokenLogText(broken) : `${err.message}${hint}` };
  }
  const broken = checkTail(store, { fromSeq: loaded.fromSnapshot ?? 0 });
  if (broken && !store.readonly) throw corrupt(brokenLogText(broken), { seq: broken.seq });
  return broken ? { loaded, warning: brokenLogText(broken) } : { loaded };
}
