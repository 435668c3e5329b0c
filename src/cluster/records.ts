import type { Namespace } from "etcd3";
import { canonicalJson } from "../domain/canonical.js";
import { corrupt, invalid } from "../domain/errors.js";
import { type ClusterCommand, checkClusterEvent, type ClusterEvent, type ClusterNewEvent } from "../domain/cluster/events.js";
import { chainHash } from "../store/hashChain.js";
import type { ClusterCopyRow } from "../store/clusterCopy.js";

/**
 * How one event of the cluster log is stored in etcd: a key per seq, `log/<seq padded to 12 digits>`
 * (so key order is seq order and a range read returns the log in order), and a value holding the
 * row the local log would hold — data and metadata as canonical JSON text, hashed byte for byte with
 * the local log's chain (src/store/hashChain.ts): hash = sha256(previous hash ‖ canonical event).
 */
export type ClusterRecord = ClusterCopyRow;

export const logPrefix = "log/";
/**
 * Put with the first record and never again: the first append's condition that the log was never
 * begun (its record 1 may be trimmed since). Later appends are conditioned on the record at their
 * head instead; the log's head is its last record, with no key of its own to rewrite per append.
 */
export const genesisKey = "genesis";
export const nodePrefix = "nodes/";
/** Commands forwarded to the elected appender, and its answers (src/cluster/forwarding.ts). */
export const reqPrefix = "req/";
export const resPrefix = "res/";
export const appenderKey = "appender";

export const seqKey = (seq: number): string => `${logPrefix}${String(seq).padStart(12, "0")}`;
/** The first key after every log key (`0` follows `/`), the end of a range read of the log. */
export const logEnd = "log0";
/** Records read in one range read after the head (a node further behind reads page after page). */
const logPage = 500;

/** A range read of the log from the record at `head` on: the head's record first, then a page after it. */
export const readFromHead = (kv: Namespace, head: Head) => kv.getAll().inRange({ start: seqKey(head.seq), end: logEnd }).limit(logPage + 1);

/** The seq of a log key (`log/<12 digits>`, under any namespace prefix). */
export const seqOfKey = (key: Buffer | string): number => Number(key.toString().slice(-12));

export interface Head {
  seq: number;
  hash: string;
}

/**
 * The most a command may weigh as JSON. etcd takes at most 1.5 MiB in one request (--max-request-bytes)
 * and refuses more with an error its client retries like an outage: a network with megabytes of
 * labels failed after --cluster-timeout as ClusterUnavailable, "waiting for a quorum". It is refused
 * at once instead, and batches are cut by weight too (appender.ts).
 */
export const maxCommandBytes = 256 * 1024;

/** The command as JSON and its weight, refused (InvalidParameter, nothing written) past maxCommandBytes. */
export function commandJson(command: ClusterCommand): { text: string; bytes: number } {
  const text = JSON.stringify(command);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxCommandBytes)
    throw invalid(
      `a ${command.type} command of ${bytes} bytes is more than a record of the cluster log holds (${maxCommandBytes} bytes, well within etcd's 1.5 MiB per request): use fewer or shorter labels and options`,
    );
  return { text, bytes };
}

/** The command's weight as JSON, refused past maxCommandBytes (commandJson). */
export const commandBytes = (command: ClusterCommand): number => commandJson(command).bytes;

/** Seals new events after the head: seq, unique id, chain hash. */
export function seal(head: Head, events: readonly ClusterNewEvent[], meta: { node: string; time: string; batch: string }): ClusterRecord[] {
  let prev = head.hash;
  return events.map((e, i) => {
    const r = {
      seq: head.seq + 1 + i,
      id: `${meta.batch}.${i}`,
      stream: e.stream,
      type: e.type,
      version: 1,
      data: canonicalJson(e.data),
      meta: canonicalJson(meta),
    };
    prev = chainHash(prev, r);
    return { ...r, hash: prev };
  });
}

/**
 * Reads a stored record back, checking that it sits at the seq its key says, chains on from the
 * previous hash, and fits its event's schema. Anything else is Corrupt, named at its seq: a node never
 * folds what it cannot verify.
 */
export function openRecord(text: string, expectedSeq: number, previousHash: string): ClusterEvent {
  let r: ClusterRecord;
  try {
    r = JSON.parse(text) as ClusterRecord;
  } catch {
    throw corrupt(`cluster log: the record at seq ${expectedSeq} is not JSON`);
  }
  if (r.seq !== expectedSeq) throw corrupt(`cluster log: the record at seq ${expectedSeq} says seq ${String(r.seq)}`);
  const hash = chainHash(previousHash, r);
  if (hash !== r.hash) throw corrupt(`cluster log: the hash chain breaks at seq ${expectedSeq}`);
  let data: unknown;
  let meta: ClusterEvent["meta"];
  try {
    data = JSON.parse(r.data);
    meta = JSON.parse(r.meta) as ClusterEvent["meta"];
  } catch {
    throw corrupt(`cluster log: the data of seq ${expectedSeq} is not JSON`);
  }
  const checked = checkClusterEvent(r.type, data);
  if (checked === null) throw corrupt(`cluster log: seq ${expectedSeq} is not a valid ${r.type} event`);
  return { type: r.type, stream: r.stream, data: checked, seq: r.seq, id: r.id, meta, hash: r.hash } as ClusterEvent;
}
