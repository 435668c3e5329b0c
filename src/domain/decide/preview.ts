import type { NewEvent, StoredEvent } from "../events.js";
import { evolve } from "../evolve.js";
import type { State } from "../state.js";

/**
 * The state as it will be once `events` are folded, for planning a step that depends on an earlier
 * one in the same decision (a continuation after an outcome, the driver call after a pool is chosen).
 * The events get provisional seqs and empty metadata; nothing of this state is ever stored.
 */
export function preview(s: State, events: readonly NewEvent[]): State {
  return evolve(
    s,
    events.map((e, i) => ({ ...e, seq: s.seq + 1 + i, version: 1, meta: { actor: "", time: "" }, hash: "" }) as StoredEvent),
  );
}
