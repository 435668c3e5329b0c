import { createDraft, finishDraft } from "immer";
import { decideCluster } from "../domain/cluster/decide.js";
import type { ClusterCommand, ClusterNewEvent } from "../domain/cluster/events.js";
import { type ClusterState, evolveCluster, foldCluster } from "../domain/cluster/state.js";
import { asNetledgerError, type NetledgerError } from "../domain/errors.js";

/**
 * An appender's batch decided against the cluster state at the head it has folded (src/cluster/appender.ts):
 * which commands it plans, with their events, and which the state refuses.
 */
export interface Decided<P> {
  /**
   * The state after every planned command's events. Every event is applied to the draft before
   * anything is sent (a record the reducers refuse is never written); freezing the draft into that
   * state is left until it is first asked for, once the transaction is on its way.
   */
  state: () => ClusterState;
  planned: { p: P; events: ClusterNewEvent[]; from: number }[];
  refused: { p: P; e: NetledgerError }[];
  all: ClusterNewEvent[];
}

/**
 * Decides every command against the state as the ones before it in the batch leave it, on one draft
 * (one copy of the paths the batch touches, not one per command). decide throws before it changes
 * anything, so a refused command leaves the draft as it was; should applying an event throw (a bug
 * in decide), the draft is dropped and the batch decided again a state per command, where the
 * command that fails is refused alone.
 */
export function decideBatch<P extends { command: ClusterCommand }>(from: ClusterState, head: number, live: P[]): Decided<P> {
  const draft = createDraft(from);
  const d: Omit<Decided<P>, "state"> = { planned: [], refused: [], all: [] };
  let seq = head;
  try {
    for (const p of live) {
      let events: ClusterNewEvent[];
      try {
        // Until an event is applied the draft equals `from`: read there, making no proxies for the finish to walk.
        events = decideCluster(seq === head ? from : draft, p.command);
      } catch (e) {
        d.refused.push({ p, e: asNetledgerError(e) });
        continue;
      }
      events.forEach((event, i) => evolveCluster(draft, event, seq + 1 + i));
      d.planned.push({ p, events, from: d.all.length });
      d.all.push(...events);
      seq += events.length;
    }
  } catch {
    return decideEach(from, head, live);
  }
  let finished: ClusterState | undefined;
  return { ...d, state: () => (finished ??= finishDraft(draft)) };
}

function decideEach<P extends { command: ClusterCommand }>(from: ClusterState, head: number, live: P[]): Decided<P> {
  let s = from;
  const d: Omit<Decided<P>, "state"> = { planned: [], refused: [], all: [] };
  let seq = head;
  for (const p of live) {
    try {
      const events = decideCluster(s, p.command);
      s = foldCluster(s, events.map((event, i) => ({ event, seq: seq + 1 + i })));
      d.planned.push({ p, events, from: d.all.length });
      d.all.push(...events);
      seq += events.length;
    } catch (e) {
      d.refused.push({ p, e: asNetledgerError(e) });
    }
  }
  const after = s;
  return { ...d, state: () => after };
}
