import { createDraft, finishDraft } from "immer";
import type { StoredEvent } from "./events.js";
import { apply } from "./evolve.js";
import type { State } from "./state.js";

/** A fold into a batch's draft failed part-way: the draft is spoilt, and the batch must be decided again one command at a time. */
export class BatchFoldFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(`a batch fold failed: ${(cause as Error).message}`);
  }
}

/**
 * The states a group commit passes through, kept in one immer draft: `decide` reads `state` (the
 * state so far, commands before included), each command's events are applied to it in place, and
 * `finish` freezes the result once. One produce per command copied the path to every entity a command
 * touched and walked and froze it again, per command; here a batch of 64 copies and freezes each path
 * once. Same recipes as `evolve`, so the state is the same (invariant 1). Events applied to the draft
 * cannot be taken back: an event the reducers refuse spoils it (BatchFoldFailed), and the caller
 * decides the batch again through `evolve`, where that command alone is refused.
 */
export class BatchFold {
  private readonly draft: State;

  constructor(base: State) {
    this.draft = createDraft(base) as State;
  }

  /** The state so far, to decide on; read-only by contract (decide is pure). */
  get state(): State {
    return this.draft;
  }

  fold(events: readonly StoredEvent[]): void {
    try {
      for (const e of events) apply(this.draft, e);
    } catch (e) {
      throw new BatchFoldFailed(e);
    }
  }

  finish(): State {
    return finishDraft(this.draft) as State;
  }
}
