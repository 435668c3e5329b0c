import type Database from "better-sqlite3";
import type { ErrorInfo, StoredEvent } from "../domain/events.js";
import { type EventLog, type EventRow, toEvent } from "./eventLog.js";

export type EffectIntent = Extract<StoredEvent, { type: "effect.requested" }>;

/** How an effect ended, as its outcome event says; undefined while it has none. */
export type EffectOutcome = { outcome: "succeeded"; seq: number; result: unknown } | { outcome: "failed"; seq: number; error: ErrorInfo };

/** A closed or open effect as `recover` reports it, read off the log alone. */
export interface EffectSummary {
  op: string;
  driver: string;
  resource: string;
  /** Every attempt, the one recorded with the intent included. */
  attempts: number;
  outcome: "succeeded" | "failed" | "pending";
  error?: ErrorInfo;
}

/**
 * What became of effects, read off the log by the seq of their intent (an effect's id): for reports
 * after the state has dropped a closed effect, and for a repeated request id asking how its first run
 * ended. Every row goes through `toEvent`, so it is upcast and checked like any event read back.
 */
export class EffectHistory {
  // Statements are prepared when asked, not at open: only recovery's reports and repeated request ids ask.
  constructor(
    private readonly db: Database.Database,
    private readonly log: EventLog,
  ) {}

  /** The intent (effect.requested) at a seq; undefined when the event there is something else or absent. */
  intent(seq: number): EffectIntent | undefined {
    const row = this.log.rowAt(seq);
    if (!row) return undefined;
    const e = toEvent(row);
    return e.type === "effect.requested" ? e : undefined;
  }

  /** How many times the effect was attempted: the attempt recorded with its intent, and each retry or takeover. */
  attemptCount(seq: number): number {
    const { where, args } = this.log.where({ since: seq + 1, type: "effect.attempted" });
    const taken = this.db.prepare(`SELECT count(*) AS n FROM events${where} AND causation = ?`).get(...args, seq) as { n: number };
    return 1 + taken.n;
  }

  /** The effect's outcome, if one was recorded. */
  outcome(seq: number): EffectOutcome | undefined {
    const { where, args } = this.log.where({ since: seq + 1, types: ["effect.succeeded", "effect.failed"] });
    const row = this.db.prepare(`SELECT * FROM events${where} AND causation = ? ORDER BY seq LIMIT 1`).get(...args, seq) as EventRow | undefined;
    if (!row) return undefined;
    const e = toEvent(row);
    if (e.type === "effect.succeeded") return { outcome: "succeeded", seq: e.seq, result: e.data.result };
    if (e.type === "effect.failed") return { outcome: "failed", seq: e.seq, error: e.data.error };
    return undefined;
  }

  /** An effect's driver, op and resource, its attempts and how it ended; undefined when `seq` is no intent. */
  summary(seq: number): EffectSummary | undefined {
    const intent = this.intent(seq);
    if (!intent) return undefined;
    const outcome = this.outcome(seq);
    return {
      op: intent.data.op,
      driver: intent.data.driver,
      resource: intent.data.resource,
      attempts: this.attemptCount(seq),
      outcome: outcome?.outcome ?? "pending",
      ...(outcome?.outcome === "failed" ? { error: outcome.error } : {}),
    };
  }

  /**
   * The failures recorded for a command (by its root, from the seq its first event took), in seq order:
   * a clean-up requested because the command could not go on (its intent carries the failure), and an
   * effect of its own (not an inverse) that failed. The first is how the command failed.
   */
  failuresSince(root: string, sinceSeq: number): { seq: number; error: ErrorInfo }[] {
    const found: { seq: number; error: ErrorInfo }[] = [];
    const primary: number[] = [];
    const req = this.log.where({ since: sinceSeq, type: "effect.requested" });
    const intents = this.db.prepare(`SELECT * FROM events${req.where} AND json_extract(data, '$.root') = ? ORDER BY seq`);
    for (const row of intents.iterate(...req.args, root) as IterableIterator<EventRow>) {
      const e = toEvent(row);
      if (e.type !== "effect.requested") continue;
      if (e.data.failure) found.push({ seq: e.seq, error: e.data.failure });
      if (!e.data.inverse) primary.push(e.seq);
    }
    if (primary.length > 0) {
      const { where, args } = this.log.where({ since: sinceSeq + 1, type: "effect.failed" });
      const failed = this.db
        .prepare(`SELECT * FROM events${where} AND causation IN (${primary.map(() => "?").join(",")})`)
        .all(...args, ...primary) as EventRow[];
      for (const row of failed) {
        const e = toEvent(row);
        if (e.type === "effect.failed") found.push({ seq: e.seq, error: e.data.error });
      }
    }
    return found.sort((a, b) => a.seq - b.seq);
  }
}
