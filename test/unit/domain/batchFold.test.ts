import { describe, expect, it } from "vitest";
import { BatchFold, BatchFoldFailed } from "../../../src/domain/batchFold.js";
import type { NewEvent, StoredEvent } from "../../../src/domain/events.js";
import { evolve } from "../../../src/domain/evolve.js";
import { emptyState, type State } from "../../../src/domain/state.js";
import { serialiseState } from "../../../src/store/store.js";
import { endpoint, hex, network } from "../../helpers/state.js";

/** Events as sealed after `seq`, one command's worth. */
function stored(after: number, events: NewEvent[]): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: after + i + 1, version: 1, meta: { actor: "test", time: "2025-01-01T00:00:00Z" }, hash: "" }) as StoredEvent);
}

describe("a batch fold", () => {
  it("gives the state one evolve per command gives, and leaves the state it started from as it was", () => {
    const commands = [
      stored(0, [network(hex("a"), "n1", { driver: "null" })]),
      stored(1, [endpoint(hex("b"), hex("a"), "e1")]),
      stored(2, [endpoint(hex("c"), hex("a"), "e2")]),
    ];
    const base = emptyState();
    const fold = new BatchFold(base);
    let oneByOne: State = base;
    for (const events of commands) {
      fold.fold(events);
      oneByOne = evolve(oneByOne, events);
    }
    // Each command is decided on the state so far: the draft already holds the earlier ones.
    const folded = fold.finish();
    expect(serialiseState(folded).hash).toBe(serialiseState(oneByOne).hash);
    expect(Object.isFrozen(folded)).toBe(true);
    expect(serialiseState(base).hash).toBe(serialiseState(emptyState()).hash);
  });

  it("is spoilt by an event the reducers refuse, which it reports as BatchFoldFailed naming the event", () => {
    const fold = new BatchFold(emptyState());
    fold.fold(stored(0, [network(hex("a"), "n1")]));
    // An endpoint of a network the state does not have, at a seq after a gap.
    const bad = stored(5, [endpoint(hex("b"), hex("f"), "e1")]);
    expect(() => fold.fold(bad)).toThrow(BatchFoldFailed);
    expect(() => fold.fold(bad)).toThrow(/event 6/);
  });
});
