import { invalid } from "../domain/errors.js";
import type { EventLog } from "../store/eventLog.js";

/**
 * A point in the log as an operator writes it: a seq (`42`), `head`, an ISO 8601 time
 * (`2024-05-01T10:00:00Z`; without an offset it is UTC, as the log's times are) or a time relative to
 * now (`90s`, `10m`, `2h`, `3d`, `1w`).
 */
export type Point = { kind: "seq"; seq: number } | { kind: "head" } | { kind: "time"; time: string };

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parsePoint(what: string, text: string, now: Date = new Date()): Point {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { kind: "seq", seq: Number(t) };
  if (t === "head") return { kind: "head" };
  const rel = /^(\d+)([smhdw])$/.exec(t);
  if (rel) return { kind: "time", time: new Date(now.getTime() - Number(rel[1]) * units[rel[2]!]!).toISOString() };
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    // A time without an offset is read as UTC, like the times the log records, whatever the local zone.
    const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(t) || !t.includes("T") ? t : `${t}Z`;
    const ms = Date.parse(zoned);
    if (!Number.isNaN(ms)) return { kind: "time", time: new Date(ms).toISOString() };
  }
  throw invalid(
    `${what} takes a seq (42), "head", an ISO time (2024-05-01T10:00:00Z) or a time ago (30s, 10m, 2h, 3d, 1w), not "${text}"`,
  );
}

/**
 * The seq a bound admits. A lower bound's time admits the first event recorded at or after it (past the
 * head, nothing yet: what `log --follow` waits for); an upper bound's, the last event recorded at or
 * before it (0: none).
 */
function boundSeq(log: EventLog, p: Point, bound: "since" | "until"): number {
  if (p.kind === "seq") return p.seq;
  if (p.kind === "head") return log.head().seq;
  return bound === "since" ? (log.seqAtOrAfter(p.time) ?? log.head().seq + 1) : (log.seqAtOrBefore(p.time) ?? 0);
}

export const sinceSeq = (log: EventLog, p: Point): number => boundSeq(log, p, "since");
export const untilSeq = (log: EventLog, p: Point): number => boundSeq(log, p, "until");

/** The state a point names: its seq, which must be in the log (0 is the empty log before the first event). */
export function stateSeq(log: EventLog, what: string, p: Point): number {
  const seq = untilSeq(log, p);
  const head = log.head().seq;
  if (seq > head) throw invalid(`${what} ${seq} is past the head of the log (seq ${head})`);
  return seq;
}
