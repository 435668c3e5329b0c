import type { ClusterEvent } from "../domain/cluster/events.js";
import { corrupt, NetledgerError } from "../domain/errors.js";
import { type ClusterRecord, type Head, openRecord, seqOfKey } from "./records.js";

/**
 * Log records as etcd hands them over (a range read, a watch notification, this node's own append)
 * turned into verified events that follow `head`; records folded already are skipped. A record that
 * does not follow on is Corrupt in a read; in a watch it means a missed notification: null, and a
 * read fills the gap.
 */
export function eventsAfter(head: Head, kvs: readonly { key: Buffer; value: Buffer }[], watched = false): ClusterEvent[] | null {
  const events: ClusterEvent[] = [];
  let prev = head.hash;
  for (const kv of kvs) {
    const seq = seqOfKey(kv.key);
    if (seq <= head.seq) continue;
    const expected = head.seq + 1 + events.length;
    if (watched && seq !== expected) return null;
    const e = openRecord(kv.value.toString(), expected, prev);
    events.push(e);
    prev = e.hash;
  }
  return events;
}

/**
 * Where a range read from the record at `head` (inclusive), in one revision, places this node against
 * etcd's log, whose head is its last record (keys of the log are deleted by nothing but the trim after
 * a snapshot, which keeps the newest):
 * - `on`: it starts at the head's record, carrying the head's hash, or right after it (that record
 *   trimmed since); what follows is verified as it is folded;
 * - `trimmed`: it starts later: the records after the head were trimmed while this node was away;
 * - `behind`: nothing at or after the head: etcd lost what this node verified.
 * A record at the head's seq with another hash is a log that forked from this node's: Corrupt.
 */
export function placeOf(head: Head, kvs: readonly { key: Buffer; value: Buffer }[]): "on" | "trimmed" | "behind" {
  const first = kvs[0];
  if (!first) return head.seq > 0 ? "behind" : "on";
  const seq = seqOfKey(first.key);
  if (seq > head.seq + 1) return "trimmed";
  if (seq === head.seq && head.seq > 0) {
    const hash = hashOf(first.value.toString());
    if (hash === undefined) throw corrupt(`cluster log: the record at seq ${seq} is not JSON`);
    if (hash !== head.hash)
      throw new NetledgerError(
        "Corrupt",
        `the etcd cluster's record at seq ${seq} is not the one this node folded and verified there (chain hash ${String(hash).slice(0, 12)}, not ${head.hash.slice(0, 12)}): ` +
          `etcd's data was replaced since, or --cluster names another cluster; nothing is appended until they agree (point --cluster at the cluster this node belongs to, or restore etcd)`,
        { seq, theirs: hash, ours: head.hash },
      );
  }
  return "on";
}

/** A stored record's chain hash, as it says; undefined when it is not JSON. */
function hashOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { hash?: unknown } | null)?.hash ?? null;
  } catch {
    return undefined;
  }
}

/** The events of records this node sealed, checked like every record read back. */
export function reopen(sealedOn: Head, records: readonly ClusterRecord[]): ClusterEvent[] {
  let prev = sealedOn.hash;
  return records.map((r) => {
    const e = openRecord(JSON.stringify(r), r.seq, prev);
    prev = e.hash;
    return e;
  });
}

export function behind(theirs: number, ours: number): NetledgerError {
  return new NetledgerError(
    "Corrupt",
    `the etcd cluster's log ends at seq ${theirs} but this node has folded and verified it up to seq ${ours}: ` +
      `etcd's data was wiped or restored from an older backup, or --cluster names another cluster; ` +
      `nothing is appended until they agree (point --cluster at the cluster this node belongs to, or restore etcd)`,
    { clusterHead: theirs, folded: ours },
  );
}
