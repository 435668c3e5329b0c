import { reducerVersion } from "../domain/state.js";
import { metaText } from "./eventMeta.js";
import { type ChainBreak, ChainWalker } from "./hashChain.js";
import { stateHash } from "./stateHash.js";
import type { ReadableLog } from "./readLog.js";

/**
 * What opening checks before trusting the log (docs/architecture.md, the log): the latest snapshot's own
 * hash, the row it is filed under, the chain from there to the head with no gap, and no request
 * pointing past the head (events removed from the end). Only the tail after the snapshot is walked, so
 * the cost stays bounded; damage older than the snapshot is `verify`'s to name. Returns the first break.
 */
export function checkTail(store: ReadableLog, opts: { fromSeq?: number } = {}): ChainBreak | undefined {
  let from = opts.fromSeq;
  if (from === undefined) {
    const snap = store.latestSnapshot(reducerVersion);
    from = 0;
    if (snap) {
      if (stateHash(snap.state) !== snap.state_hash)
        return { seq: snap.seq, kind: "hash", message: `snapshot at seq ${snap.seq} does not match its own state hash: it was changed after it was written` };
      from = snap.seq;
    }
  }
  if (from > 0 && store.log.hashAt(from) === undefined)
    return { seq: from, kind: "gap", message: `snapshot at seq ${from} has no event ${from} in the log: the log was cut short` };
  // Read before the walk: another writer may commit between two reads, and a request is committed
  // with its events, so the events of any request read here are there for the walk that follows.
  const requested = store.log.maxRequestSeq();
  // From the row before the snapshot's, so that the row the snapshot is filed under is checked too.
  const before = Math.max(0, from - 1);
  const walker = new ChainWalker(store.databaseId, before, store.log.hashAt(before) ?? "");
  for (const row of store.log.rowsAfter(before)) {
    const broken = walker.step({ ...row, meta: metaText(row) })[0];
    if (broken) return broken;
  }
  const head = walker.head.seq;
  if (requested !== undefined && requested > head)
    return {
      seq: head + 1,
      kind: "gap",
      message: `a request recorded seq ${requested}, but the log ends at seq ${head}: events were removed from its end`,
    };
  return undefined;
}

/** The message a broken log is refused (or warned about) with: the first bad seq, and what to run. */
export function brokenLogText(b: ChainBreak): string {
  return `the log is broken at seq ${b.seq}: ${b.message}; run "netledger verify" to see everything that is wrong`;
}
