import { invalid } from "../domain/errors.js";
import { apply } from "../domain/evolve.js";
import { emptyState, reducerVersion } from "../domain/state.js";
import { type Head, metaText, toEvent } from "../store/eventLog.js";
import { ChainWalker, genesisHash } from "../store/hashChain.js";
import { serialiseState, stateHash, type Store } from "../store/store.js";
import type { Progress } from "./loadState.js";
import { type SuspectedLeak, suspectedLeaks } from "./suspectedLeaks.js";
import { verifyClusterCopy } from "./verifyCluster.js";
import { fileProblems, keyProblems, requestProblems, type VerifyProblem } from "./verifyTables.js";

export type { VerifyProblem } from "./verifyTables.js";

export interface VerifyReport {
  ok: boolean;
  head: Head;
  events: number;
  snapshots: number;
  /** The hash of the state a full replay reaches (when replay got to the end). */
  stateHash: string | null;
  /** The first seq found bad, if any. */
  firstBad: number | null;
  problems: VerifyProblem[];
  /** What a remote IPAM may hold that the log cannot name (not damage: the log stays ok). */
  suspectedLeaks: SuspectedLeak[];
}

/**
 * Checks everything the log promises (docs/architecture.md, the log, invariant 3): seq gap-free from 1; every link of the
 * hash chain, each checked against the stored hash of the row before it, so that a changed row is
 * named by its own seq and not by every row after it; a full replay from nothing, in which any event
 * the reducers or lifecycles refuse is named; every snapshot against the state replay reaches at its
 * seq; and, given a head taken earlier, that it is still in the chain.
 */
export function verifyStore(store: Store, opts: { expectHead?: string; onProgress?: Progress } = {}): VerifyReport {
  // SQLite's check of the file first: a damaged page may also stop the walk below.
  const problems: VerifyProblem[] = fileProblems(store);
  const snapshots = new Map(store.snapshots().map((s) => [s.seq, s]));
  const total = store.log.head().seq;
  const expected = parseExpectedHead(opts.expectHead);
  // The head of an empty log (0:000…) is in every chain.
  let expectedFound = expected !== undefined && expected.hash === genesisHash && (expected.seq ?? 0) === 0;
  let state = emptyState();
  let replaying = true;
  let prevSeq = 0;
  let prevHash = genesisHash;
  let n = 0;
  const walker = new ChainWalker(store.databaseId);
  const lastRequested = store.log.maxRequestSeq();

  const checkSnapshotAt = (seq: number) => {
    const snap = snapshots.get(seq);
    if (!snap || snap.reducer_version !== reducerVersion) return;
    if (stateHash(snap.state) !== snap.state_hash) {
      problems.push({ seq, kind: "snapshot", message: `snapshot at seq ${seq} does not match its own state hash: it was changed` });
      return;
    }
    if (!replaying) return;
    const replayed = serialiseState(state).hash;
    if (replayed !== snap.state_hash)
      problems.push({ seq, kind: "snapshot", message: `snapshot at seq ${seq} differs from the state a full replay reaches there` });
  };

  try {
    for (const row of store.log.rowsAfter(0)) {
      n++;
      for (const b of walker.step({ ...row, meta: metaText(row) })) {
        problems.push(b);
        if (b.kind === "gap") replaying = false;
      }
      if (expected && row.hash === expected.hash && (expected.seq === undefined || expected.seq === row.seq)) expectedFound = true;
      if (replaying) {
        try {
          apply(state, toEvent(row));
        } catch (e) {
          problems.push({ seq: row.seq, kind: "replay", message: `event ${row.seq} (${row.type}) cannot be replayed: ${(e as Error).message}` });
          replaying = false;
        }
      }
      checkSnapshotAt(row.seq);
      prevSeq = row.seq;
      prevHash = row.hash;
      if (opts.onProgress && (n & 0x3fff) === 0) opts.onProgress(n, total);
    }
  } catch (e) {
    // A damaged page stops the walk where it lies: what was read so far is reported, and where it stopped.
    problems.push({ seq: prevSeq + 1, kind: "integrity", message: `the log cannot be read past seq ${prevSeq}: ${(e as Error).message}` });
    replaying = false;
  }
  opts.onProgress?.(n, total);

  for (const [seq] of snapshots)
    if (seq > prevSeq)
      problems.push({ seq, kind: "snapshot", message: `snapshot at seq ${seq} is past the end of the log (${prevSeq}): events were removed` });

  // Requests remember the first seq of their command: one past the end shows events were removed even
  // without a head kept elsewhere (a snapshot past the end shows it likewise, above). Read before the
  // walk (lastRequested), since a writer may commit a request and its events in between.
  if (lastRequested !== undefined && lastRequested > prevSeq)
    problems.push({
      seq: prevSeq + 1,
      kind: "head",
      message: `a request recorded seq ${lastRequested}, but the log ends at seq ${prevSeq}: events ${range(prevSeq + 1, lastRequested)} at least were removed`,
    });

  try {
    problems.push(...requestProblems(store, prevSeq));
  } catch (e) {
    problems.push({ seq: 0, kind: "integrity", message: `the requests table cannot be read: ${(e as Error).message}` });
  }

  try {
    problems.push(...keyProblems(store));
  } catch (e) {
    problems.push({ seq: 0, kind: "integrity", message: `the search keys (event_keys) cannot be read: ${(e as Error).message}` });
  }

  if (expected && !expectedFound) problems.push(headProblem(expected, { seq: prevSeq, hash: prevHash }, store));

  const clusterProblems = verifyClusterCopy(store);
  problems.sort((a, b) => a.seq - b.seq);
  problems.push(...clusterProblems);
  return {
    ok: problems.length === 0,
    head: { seq: prevSeq, hash: prevHash },
    events: n,
    snapshots: snapshots.size,
    stateHash: replaying ? serialiseState(state).hash : null,
    firstBad: problems.find((p) => p.kind !== "cluster")?.seq ?? null,
    problems,
    suspectedLeaks: leaksIfReadable(store),
  };
}

function leaksIfReadable(store: Store): SuspectedLeak[] {
  try {
    return suspectedLeaks(store);
  } catch {
    return []; // a log that cannot be read is named in the problems already
  }
}

/** A head as `netledger head` prints it: `SEQ:HASH`, or the hash alone. */
export function parseExpectedHead(text: string | undefined): { seq?: number; hash: string } | undefined {
  if (text === undefined) return undefined;
  const m = /^(?:(\d+):)?([0-9a-f]{64})$/.exec(text.trim());
  if (!m) throw invalid(`invalid head "${text}": expected a 64-hex hash, or SEQ:HASH as "netledger head" prints`);
  return m[1] !== undefined ? { seq: Number(m[1]), hash: m[2]! } : { hash: m[2]! };
}

const range = (from: number, to: number) => (from === to ? `${from}` : `${from}–${to}`);
const short = (hash: string) => hash.slice(0, 12);

/**
 * Why a head taken earlier is not in the chain, as precisely as the head allows: with its seq (as
 * `netledger head` prints it) the missing or rewritten events are named; with a bare hash, only that
 * the log no longer leads to it.
 */
function headProblem(expected: { seq?: number; hash: string }, end: Head, store: Store): VerifyProblem {
  const head = expected.seq !== undefined ? `${expected.seq}:${short(expected.hash)}` : short(expected.hash);
  if (expected.seq === undefined)
    return {
      seq: end.seq + 1,
      kind: "head",
      message: `head ${head} is not in the chain, which ends at seq ${end.seq}: the log was cut short or rewritten after that head was taken (give SEQ:HASH, as "netledger head" prints it, to learn which events)`,
    };
  if (expected.seq > end.seq)
    return {
      seq: end.seq + 1,
      kind: "head",
      message: `the log ends at seq ${end.seq}, but head ${head} was taken when it reached seq ${expected.seq}: events ${range(end.seq + 1, expected.seq)} are missing (deleted, or the database was restored from an older copy)`,
    };
  const actual = store.log.rowAt(expected.seq)?.hash ?? "(none)";
  return {
    seq: expected.seq,
    kind: "head",
    message: `event ${expected.seq} has hash ${short(actual)}, not ${short(expected.hash)} as when head ${head} was taken: the log was rewritten at or before seq ${expected.seq}`,
  };
}
