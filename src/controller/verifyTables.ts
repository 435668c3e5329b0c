import { keyMismatches } from "../store/eventKeys.js";
import type { Store } from "../store/store.js";

/** One thing verify found wrong, at the seq it names (0: the file itself). */
export interface VerifyProblem {
  seq: number;
  kind: "gap" | "hash" | "genesis" | "replay" | "snapshot" | "head" | "integrity" | "request" | "keys" | "cluster";
  message: string;
}

/**
 * What `verify` checks beside the chain (docs/architecture.md, the log): SQLite's own check of the file
 * (a page of garbage is found here even where no query has read it yet), and the requests table, which
 * the chain does not cover: every request id must point at the first event of a command recorded under
 * it, and the entity it answers a repeat with must be one that command's events name. Otherwise a
 * retried request would answer with another entity.
 */
export function fileProblems(store: Store): VerifyProblem[] {
  try {
    const found = store.integrityProblems();
    return found.length === 0 ? [] : [{ seq: 0, kind: "integrity", message: `the database file is damaged: ${found.slice(0, 5).join("; ")}` }];
  } catch (e) {
    return [{ seq: 0, kind: "integrity", message: `the database file is damaged: ${(e as Error).message}` }];
  }
}

export function requestProblems(store: Store, lastSeq: number): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  for (const r of store.requests()) {
    if (r.seq > lastSeq) continue; // named by the check for events removed from the end
    const { streams, gapped } = store.commandStreams(r.seq, r.request_id);
    if (gapped) continue; // the gap is named by the chain's walk; what the run names proves nothing
    if (streams.length === 0)
      problems.push({
        seq: r.seq,
        kind: "request",
        message: `request ${JSON.stringify(r.request_id)} points at seq ${r.seq}, an event not recorded under that request id: the requests table was changed`,
      });
    else if (r.entity_id !== null && !streams.includes(r.entity_id))
      problems.push({
        seq: r.seq,
        kind: "request",
        message: `request ${JSON.stringify(r.request_id)} answers with ${r.entity_kind ?? "entity"} ${r.entity_id.slice(0, 12)}, which the events of its command (from seq ${r.seq}) do not name: the requests table was changed`,
      });
  }
  return problems;
}

/**
 * The search keys (event_keys, migration 0005) against the events they copy: the chain does not cover
 * them, and a changed key would make `log --type`, `--actor`, `--since TIME` or an entity's history
 * miss an event or show one under the wrong key.
 */
export function keyProblems(store: Store): VerifyProblem[] {
  return keyMismatches(store.db, 20).map(({ seq, what }) => ({
    seq,
    kind: "keys",
    message:
      what === "differs"
        ? `the search keys of event ${seq} (stream, type, actor, time) differ from the event: event_keys was changed`
        : what === "orphan"
          ? `the search keys name event ${seq}, which the log does not have: event_keys was changed, or events removed`
          : `event ${seq} has no search keys though later events have: event_keys was changed`,
  }));
}
