import type { ClusterEvent } from "../domain/cluster/events.js";
import { NetledgerError } from "../domain/errors.js";
import { type ClusterRecord, type Head, openRecord } from "./records.js";

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
    const seq = Number(kv.key.toString().slice(-12));
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
 * Whether a range read from seq `from` starts later: the records before were trimmed from etcd (keys
 * of the log are deleted by nothing else, and the newest are never trimmed).
 */
export function trimmedBefore(kvs: readonly { key: Buffer }[], from: number): boolean {
  return kvs.length > 0 && Number(kvs[0]!.key.toString().slice(-12)) > from;
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
