import type Database from "better-sqlite3";
import { canonicalJson } from "../domain/canonical.js";
import { corrupt } from "../domain/errors.js";
import {
  currentVersion,
  type EventMeta,
  eventSchemas,
  type EventType,
  isEventType,
  type NewEvent,
  type StoredEvent,
  upcast,
} from "../domain/events.js";
import { boundGenesis, chainHash, genesisHash } from "./hashChain.js";
import { metaOf } from "./eventMeta.js";
import { hasEventKeys, matchingSeqs, matchingStreams, TailKeys } from "./eventKeys.js";

export { metaText } from "./eventMeta.js";
import { issuesText } from "../domain/schemaIssues.js";

/** An event row as SQLite returns it. */
export interface EventRow {
  seq: number;
  stream: string;
  type: string;
  version: number;
  data: string;
  actor: string;
  time: string;
  request_id: string | null;
  causation: number | null;
  hash: string;
  /** The caller's labels as canonical JSON (migration 0003); absent on a row read before it. */
  labels?: string | null;
}

/** The canonical data text computed when sealing, kept so that inserting does not encode it twice. */
const dataText = Symbol("dataText");

export interface Head {
  seq: number;
  hash: string;
}

/**
 * A stored row as an event of the current schema version: upcast on read, never rewritten, then
 * checked against its type's zod schema, so that a row the reducers would misread is a Corrupt error
 * naming its seq. The data stays the object the row parsed to (the schemas carry no transforms or
 * defaults): its key order is the stored canonical one, as `seal` gives a live command's events, so a
 * replayed state equals the live one key for key. zod 4's compiled object path keeps this at about
 * 0.15 µs an event, a few per cent of a replay (bench target4b).
 */
export function toEvent(r: EventRow): StoredEvent {
  if (!isEventType(r.type)) throw corrupt(`event ${r.seq} has unknown type "${r.type}"`, { seq: r.seq });
  let data: unknown;
  try {
    data = JSON.parse(r.data);
  } catch {
    throw corrupt(`event ${r.seq} (${r.type}) has data that is not JSON`, { seq: r.seq });
  }
  const type: EventType = r.type;
  if (r.version !== currentVersion[type]) {
    try {
      data = upcast(type, r.version, data);
    } catch (e) {
      throw corrupt(`event ${r.seq} (${type}) cannot be upcast: ${(e as Error).message}`, { seq: r.seq });
    }
  }
  const checked = eventSchemas[type].safeParse(data);
  if (!checked.success)
    throw corrupt(`event ${r.seq} (${type}) does not match its schema: ${issuesText(checked.error, 3)}`, { seq: r.seq });
  return {
    seq: r.seq,
    stream: r.stream,
    type,
    version: currentVersion[type],
    data,
    meta: metaOf(r),
    hash: r.hash,
  } as StoredEvent;
}

/** A row read only to label something (an entity's name, an effect's op): undefined when it does not read as an event. */
export function tryEvent(r: EventRow): StoredEvent | undefined {
  try {
    return toEvent(r);
  } catch {
    return undefined;
  }
}

/**
 * An event as the operator's tools show it (interface.md §3): a known type upcast to its current
 * version, and a type this netledger does not know (written by a newer one) as it was stored, so that
 * reading the audit trail never fails on it.
 */
export interface LoggedEvent {
  seq: number;
  type: string;
  stream: string;
  version: number;
  data: unknown;
  meta: EventMeta;
  hash: string;
}

export function toLogged(r: EventRow): LoggedEvent {
  let version = r.version;
  let data: unknown;
  if (isEventType(r.type)) ({ version, data } = toEvent(r));
  else
    try {
      data = JSON.parse(r.data);
    } catch {
      data = r.data;
    }
  // Keys in the order of interface.md §3.
  return { seq: r.seq, type: r.type, stream: r.stream, version, data, meta: metaOf(r), hash: r.hash };
}

export interface EventFilter {
  since?: number;
  until?: number;
  /** One stream (an entity id), or several: a name that named more than one entity over time. */
  stream?: string | readonly string[];
  /** An exact type (`network.created`) or a family (`network`: every `network.*` type). */
  type?: string;
  actor?: string;
}

/** An EventFilter, and for the store's own look-ups any of several exact types. */
export type KeyFilter = EventFilter & { types?: readonly string[] };

/**
 * The WHERE clause of a filter. Seq bounds are a range of the table; the key terms (stream, type,
 * actor) are read through the indexes of event_keys and the unkeyed tail (eventKeys.ts), or, on a log
 * of an older netledger without that table, through its indexes on events.
 */
export function filterSql(f: KeyFilter, keyed: boolean): { where: string; args: (string | number)[] } {
  const bounds: string[] = [];
  const boundArgs: (string | number)[] = [];
  if (f.since !== undefined) bounds.push("seq >= ?"), boundArgs.push(f.since);
  if (f.until !== undefined) bounds.push("seq <= ?"), boundArgs.push(f.until);
  const keys: string[] = [];
  const keyArgs: (string | number)[] = [];
  if (f.stream !== undefined) {
    const streams = typeof f.stream === "string" ? [f.stream] : f.stream;
    keys.push(`stream IN (${streams.map(() => "?").join(",") || "NULL"})`), keyArgs.push(...streams);
  }
  if (f.type !== undefined) {
    // A family is the range ["network.", "network/"): '/' sorts right after '.', and a range can use
    // the type index where LIKE cannot.
    if (f.type.includes(".")) keys.push("type = ?"), keyArgs.push(f.type);
    else keys.push("type >= ? AND type < ?"), keyArgs.push(`${f.type}.`, `${f.type}/`);
  }
  if (f.types !== undefined) keys.push(`type IN (${f.types.map(() => "?").join(",") || "NULL"})`), keyArgs.push(...f.types);
  if (f.actor !== undefined) keys.push("actor = ?"), keyArgs.push(f.actor);
  if (!keyed || keys.length === 0) {
    const where = [...bounds, ...keys];
    return { where: where.length ? " WHERE " + where.join(" AND ") : "", args: [...boundArgs, ...keyArgs] };
  }
  const m = matchingSeqs([...keys, ...bounds].join(" AND "), [...keyArgs, ...boundArgs]);
  return { where: " WHERE " + [...bounds, `seq IN (${m.sql})`].join(" AND "), args: [...boundArgs, ...m.args] };
}

/**
 * The append-only log on one connection. Appends happen only inside the caller's IMMEDIATE
 * transaction (the Store's `write`), which is what makes seq gap-free and the chain unbroken
 * across processes.
 */
export class EventLog {
  /** Prepared at the first write: a read-only open of a database from before migration 0003 has no labels column. */
  private insertStmt: Database.Statement | undefined;
  private readonly headStmt: Database.Statement;
  private readonly fromStmt: Database.Statement;
  private readonly hashAtStmt: Database.Statement;
  /** Whether the log has event_keys (migration 0005); an older log opened read-only is searched through its own indexes. */
  readonly keyed: boolean;
  private tailKeys: TailKeys | undefined;

  /**
   * `databaseId` is bound into the chain at event 1 (hashChain.ts); a log opened without one (an older
   * database read as it is) chains from the zero genesis as it always did.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly databaseId = "",
  ) {
    this.headStmt = db.prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    this.fromStmt = db.prepare("SELECT * FROM events WHERE seq > ? ORDER BY seq");
    this.hashAtStmt = db.prepare("SELECT hash FROM events WHERE seq = ?");
    this.keyed = hasEventKeys(db);
  }

  /** The WHERE clause of a filter on this log. */
  where(f: KeyFilter): { where: string; args: (string | number)[] } {
    return filterSql(f, this.keyed);
  }

  head(): Head {
    return (this.headStmt.get() as Head | undefined) ?? { seq: 0, hash: genesisHash };
  }

  /**
   * Gives events their seq and hash after `head`, without writing them: the caller folds them first,
   * so that an event the reducers refuse is never stored. Call inside a write transaction.
   */
  seal(head: Head, events: readonly NewEvent[], meta: EventMeta): StoredEvent[] {
    let { seq, hash } = head;
    if (seq === 0 && this.databaseId !== "") hash = boundGenesis(this.databaseId);
    const metaJson = canonicalJson(meta);
    const out: StoredEvent[] = [];
    for (const e of events) {
      seq++;
      const version = currentVersion[e.type];
      const data = canonicalJson(e.data);
      hash = chainHash(hash, { seq, stream: e.stream, type: e.type, version, data, meta: metaJson });
      // The data as it will read back from the log (canonical key order), so that the state a command
      // leaves behind is the state a replay rebuilds, down to the order of keys in its views.
      out.push({ ...e, data: JSON.parse(data), seq, version, meta, hash, [dataText]: data } as unknown as StoredEvent);
    }
    return out;
  }

  /** Writes sealed events. Call inside the same write transaction as `seal`. */
  insert(events: readonly StoredEvent[]): void {
    for (const e of events) {
      const m = e.meta;
      const data = (e as StoredEvent & { [dataText]?: string })[dataText] ?? canonicalJson(e.data);
      const labels = m.labels !== undefined ? canonicalJson(m.labels) : null;
      this.insertStmt ??= this.db.prepare(
        "INSERT INTO events (seq, stream, type, version, data, actor, time, request_id, causation, hash, labels) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      );
      this.insertStmt.run(e.seq, e.stream, e.type, e.version, data, m.actor, m.time, m.requestId ?? null, m.causation ?? null, e.hash, labels);
    }
    if (events.length > 0 && this.keyed) (this.tailKeys ??= new TailKeys(this.db)).afterAppend(events.at(-1)!.seq);
  }

  /** Rows after `seq`, in order, as an iterator over raw rows (the replay path parses them itself). */
  rowsAfter(seq: number): IterableIterator<EventRow> {
    return this.fromStmt.iterate(seq) as IterableIterator<EventRow>;
  }

  *eventsAfter(seq: number): Generator<StoredEvent> {
    for (const r of this.rowsAfter(seq)) yield toEvent(r);
  }

  /** Rows matching a filter, in seq order; bounds are inclusive. */
  rows(f: EventFilter = {}, limit?: number): IterableIterator<EventRow> {
    const { where, args } = this.where(f);
    const sql = `SELECT * FROM events${where} ORDER BY seq${limit ? ` LIMIT ${limit}` : ""}`;
    return this.db.prepare(sql).iterate(...args) as IterableIterator<EventRow>;
  }

  /** The last `n` rows matching a filter, in seq order. */
  lastRows(f: EventFilter, n: number): EventRow[] {
    const { where, args } = this.where(f);
    return this.db.prepare(`SELECT * FROM (SELECT * FROM events${where} ORDER BY seq DESC LIMIT ?) ORDER BY seq`).all(...args, n) as EventRow[];
  }

  /** The first seq whose time is at or after an ISO time, for time bounds. */
  seqAtOrAfter(time: string): number | undefined {
    // Times are appended in non-decreasing order per process; across processes they can interleave by
    // clock skew, so a time bound is resolved on the first event that reaches it.
    if (!this.keyed) return this.seqWhere("SELECT seq FROM events WHERE time >= ? ORDER BY seq LIMIT 1", [time]);
    const m = matchingSeqs("time >= ?", [time]);
    return this.seqWhere(`SELECT min(seq) AS seq FROM (${m.sql})`, m.args);
  }

  /** The last seq whose time is at or before an ISO time. */
  seqAtOrBefore(time: string): number | undefined {
    if (!this.keyed) return this.seqWhere("SELECT seq FROM events WHERE time <= ? ORDER BY seq DESC LIMIT 1", [time]);
    const m = matchingSeqs("time <= ?", [time]);
    return this.seqWhere(`SELECT max(seq) AS seq FROM (${m.sql})`, m.args);
  }

  private seqWhere(sql: string, args: readonly (string | number)[]): number | undefined {
    const r = this.db.prepare(sql).get(...args) as { seq: number | null } | undefined;
    return r?.seq ?? undefined;
  }

  /** The hash of the event at a seq (the genesis hash at 0), or undefined when the log has no such event. */
  hashAt(seq: number): string | undefined {
    if (seq === 0) return genesisHash;
    return (this.hashAtStmt.get(seq) as { hash: string } | undefined)?.hash;
  }

  /** The row at a seq, if the log has it. */
  rowAt(seq: number): EventRow | undefined {
    return this.db.prepare("SELECT * FROM events WHERE seq = ?").get(seq) as EventRow | undefined;
  }

  /**
   * The first row of a stream among the given types: for an entity, the event that created it, which
   * need not be the stream's first (an address may be requested for an endpoint before it is created).
   */
  firstOfType(stream: string, types: readonly string[]): EventRow | undefined {
    return this.firstRow({ stream, types });
  }

  /** The first row of a stream. */
  firstOf(stream: string): EventRow | undefined {
    return this.firstRow({ stream });
  }

  private firstRow(f: KeyFilter): EventRow | undefined {
    const { where, args } = this.where(f);
    return this.db.prepare(`SELECT * FROM events${where} ORDER BY seq LIMIT 1`).get(...args) as EventRow | undefined;
  }

  /** The seq of a stream's last event. */
  lastSeqOf(stream: string): number | undefined {
    const { where, args } = this.where({ stream });
    return this.seqWhere(`SELECT max(seq) AS seq FROM events${where}`, args);
  }

  /** The streams whose name starts with a prefix (an id prefix), read off the stream index. */
  streamsWithPrefix(prefix: string): string[] {
    // Every string that starts with `prefix` sorts in [prefix, prefix + U+FFFF).
    const range = [prefix, prefix + "\uffff"];
    const m = this.keyed ? matchingStreams("stream >= ? AND stream < ?", range) : { sql: "SELECT DISTINCT stream FROM events WHERE stream >= ? AND stream < ?", args: range };
    const rows = this.db.prepare(`${m.sql} ORDER BY stream`).all(...m.args) as { stream: string }[];
    return rows.map((r) => r.stream);
  }

  /**
   * Rows of the given types whose data has `value` at one of the JSON `paths` (`$.name`), in seq
   * order: how a name is found in the log long after its entity is gone.
   */
  rowsWithValue(types: readonly string[], paths: readonly string[], value: string): EventRow[] {
    const { where, args } = this.where({ types });
    const sql = `SELECT * FROM events${where} AND (${paths.map(() => "json_extract(data, ?) = ?").join(" OR ")}) ORDER BY seq`;
    return this.db.prepare(sql).all(...args, ...paths.flatMap((p) => [p, value])) as EventRow[];
  }

  /** Whether any event has this exact type or belongs to this family. */
  hasType(type: string): boolean {
    const { where, args } = this.where({ type });
    return this.db.prepare(`SELECT 1 FROM events${where} LIMIT 1`).get(...args) !== undefined;
  }

  /** The highest seq the requests table points at: a request recorded past the head means events were removed. */
  maxRequestSeq(): number | undefined {
    const r = this.db.prepare("SELECT max(seq) AS seq FROM requests").get() as { seq: number | null };
    return r.seq ?? undefined;
  }

  /**
   * SQLite's data_version: it changes when another connection commits to the database, so a follower
   * can poll it cheaply and query only when something was appended.
   */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }
}
