import * as C from "../domain/collection.js";
import { evolve } from "../domain/evolve.js";
import { neverSent, type State } from "../domain/state.js";
import { diffStates, type StateDiff } from "../domain/stateDiff.js";
import { type EndpointView, endpointView, type NetworkView, networkView, type SandboxView, sandboxView, type StateView, stateView } from "../domain/views.js";
import { isAlive } from "../effects/processIdentity.js";
import { type EventFilter, type EventRow, type Head, type LoggedEvent, toEvent, toLogged } from "../store/eventLog.js";
import { Store } from "../store/store.js";
import { brokenLogText, checkTail } from "../store/tailCheck.js";
import { EntityDirectory, type LoggedEntity } from "./entities.js";
import { follow, type FollowOptions } from "./follow.js";
import { loadState, type Progress } from "./loadState.js";
import { type VerifyReport, verifyStore } from "./verify.js";

/** An entity's past: what it is now (null once deleted) and every event that concerns it. */
export interface EntityHistory extends LoggedEntity {
  current: NetworkView | EndpointView | SandboxView | null;
  /** The seq of the last event of its own stream: its deletion, once it is gone. */
  lastSeq: number;
  events: LoggedEvent[];
}

/**
 * The log read for the operator's tools: the audit trail, the state at any point, what changed between
 * two, entity histories, verification. It reads only (the database is opened read-only) and loads no
 * state until a question needs one, so that `log` and `verify` on a large log start at once.
 */
export class Ledger {
  readonly entities: EntityDirectory;

  constructor(readonly store: Store) {
    this.entities = new EntityDirectory(store.log);
  }

  static open(path: string): Ledger {
    return new Ledger(Store.open(path, { readonly: true }));
  }

  /** What is broken in the tail of the log (tailCheck.ts), as the read-side tools warn of it; undefined when whole. */
  warning(): string | undefined {
    try {
      const b = checkTail(this.store);
      return b && brokenLogText(b);
    } catch (e) {
      return (e as Error).message;
    }
  }

  close(): void {
    this.store.close();
  }

  get log() {
    return this.store.log;
  }

  head(): Head {
    return this.log.head();
  }

  /** When the event at a seq was recorded (null for seq 0, the empty log). */
  timeAt(seq: number): string | null {
    return seq > 0 ? (this.log.rowAt(seq)?.time ?? null) : null;
  }

  /**
   * Events matching a filter in seq order, read as they are consumed (a whole large log is never held
   * in memory); with `last`, only the last that many.
   */
  *events(filter: EventFilter = {}, last?: number): Generator<LoggedEvent> {
    const rows: Iterable<EventRow> = last !== undefined ? this.log.lastRows(filter, last) : this.log.rows(filter);
    for (const r of rows) yield toLogged(r);
  }

  /** Prints what other processes append, as they append it (see follow.ts). */
  follow(filter: EventFilter, after: number, emit: (events: LoggedEvent[]) => void, opts: FollowOptions): Promise<void> {
    return follow(this.log, filter, after, (rows) => emit(rows.map(toLogged)), opts);
  }

  stateAt(seq: number, onProgress?: Progress): State {
    return loadState(this.store, { until: seq, ...(onProgress ? { onProgress } : {}) }).state;
  }

  /**
   * The views at a seq. At the head, an open effect whose process is gone is in doubt (docs/architecture.md, recovery);
   * at an earlier point every open effect was simply pending then.
   */
  viewAt(seq: number, onProgress?: Progress): StateView {
    return this.viewOf(this.stateAt(seq, onProgress));
  }

  private viewOf(state: State): StateView {
    const atHead = state.seq === this.head().seq;
    // An effect whose attempts all sent nothing (its driver was unreachable) is pending, not in doubt.
    return stateView(state, atHead ? (f) => !isAlive(f.attempts.at(-1)!) && !neverSent(f) : () => false);
  }

  /** What changed between two seqs (views and diff): the state at `from`, then the events up to `to` folded onto it. */
  diff(from: number, to: number, onProgress?: Progress): { before: StateView; after: StateView; diff: StateDiff } {
    const span = to - from;
    let first = 0;
    const before = loadState(this.store, {
      until: from,
      ...(onProgress ? { onProgress: (done: number, total: number) => ((first = total), onProgress(done, total + span)) } : {}),
    }).state;
    let state = before;
    let batch: ReturnType<typeof toEvent>[] = [];
    let done = 0;
    const fold = () => {
      state = evolve(state, batch);
      done += batch.length;
      batch = [];
      onProgress?.(first + done, first + span);
    };
    for (const row of this.log.rows({ since: from + 1, until: to })) {
      batch.push(toEvent(row));
      if (batch.length === 4096) fold();
    }
    if (batch.length > 0) fold();
    const views = { before: this.viewOf(before), after: this.viewOf(state) };
    return { ...views, diff: diffStates(views.before, views.after) };
  }

  /**
   * The histories of entities found through the log: each one's own events, and the events of others
   * that concern it (a sandbox's joins and leaves; the endpoints created on a network).
   */
  histories(entities: readonly LoggedEntity[]): EntityHistory[] {
    if (entities.length === 0) return [];
    const now = this.stateAt(this.head().seq);
    return entities.map((e) => {
      const own = [...this.log.rows({ stream: e.id })];
      const related =
        e.kind === "sandbox"
          ? this.log.rowsWithValue(["endpoint.joined", "endpoint.left"], ["$.sandbox"], e.id)
          : e.kind === "network"
            ? this.log.rowsWithValue(["endpoint.created"], ["$.network"], e.id)
            : [];
      const events = [...own, ...related].sort((a, b) => a.seq - b.seq).map(toLogged);
      return { ...e, current: currentView(now, e), lastSeq: own.at(-1)?.seq ?? e.createdSeq, events };
    });
  }

  verify(opts: { expectHead?: string; onProgress?: Progress } = {}): VerifyReport {
    return verifyStore(this.store, opts);
  }
}

function currentView(s: State, e: LoggedEntity): NetworkView | EndpointView | SandboxView | null {
  switch (e.kind) {
    case "network": {
      const n = C.get(s.networks, e.id);
      return n ? networkView(n) : null;
    }
    case "endpoint": {
      const ep = C.get(s.endpoints, e.id);
      return ep ? endpointView(ep) : null;
    }
    case "sandbox": {
      const sb = C.get(s.sandboxes, e.id);
      return sb ? sandboxView(sb) : null;
    }
  }
}
