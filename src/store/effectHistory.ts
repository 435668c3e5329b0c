import type Database from "better-sqlite3";
import type { ErrorInfo, StoredEvent } from "../domain/events.js";
import { type EventRow, toEvent } from "./eventLog.js";

/** What became of an effect whose intent is at `seq`, read from the log. */
export interface EffectFate {
  intent: StoredEvent;
  /** Attempts recorded: 1 (with the intent) plus every takeover. */
  attempts: number;
  outcome: { ok: true } | { ok: false; error: ErrorInfo } | null;
}

/**
 * The log read by effect: an effect's intent, attempts and outcome (all linked by causation to the
 * intent's seq), and the failures recorded for a command's root. Recovery's reports and a repeated
 * request id ask; the hot path never does.
 */
export class EffectHistory {
  constructor(private readonly db: Database.Database) {}

  fate(seq: number): EffectFate | undefined {
    const row = this.db.prepare("SELECT * FROM events WHERE seq = ?").get(seq) as EventRow | undefined;
    if (!row) return undefined;
    const taken = this.db
      .prepare("SELECT count(*) AS n FROM events WHERE seq > ? AND causation = ? AND type = 'effect.attempted'")
      .get(seq, seq) as { n: number };
    const outcome = this.db
      .prepare("SELECT type, data FROM events WHERE seq > ? AND causation = ? AND type IN ('effect.succeeded', 'effect.failed') LIMIT 1")
      .get(seq, seq) as { type: string; data: string } | undefined;
    return {
      intent: toEvent(row),
      attempts: 1 + taken.n,
      outcome:
        outcome === undefined
          ? null
          : outcome.type === "effect.succeeded"
            ? { ok: true }
            : { ok: false, error: (JSON.parse(outcome.data) as { error: ErrorInfo }).error },
    };
  }

  /**
   * The failures recorded for a command (by its root, from the seq its first event took), in log
   * order: clean-up intents that carry the failure they serve, and failed outcomes of its calls that
   * were not undos.
   */
  failures(root: string, since: number): ErrorInfo[] {
    const intents = this.db
      .prepare("SELECT seq, data FROM events WHERE seq >= ? AND type = 'effect.requested' AND json_extract(data, '$.root') = ?")
      .all(since, root) as { seq: number; data: string }[];
    if (intents.length === 0) return [];
    const found: { seq: number; error: ErrorInfo }[] = [];
    const primary: number[] = [];
    for (const row of intents) {
      const d = JSON.parse(row.data) as { inverse?: boolean; failure?: ErrorInfo };
      if (d.failure) found.push({ seq: row.seq, error: d.failure });
      if (!d.inverse) primary.push(row.seq);
    }
    if (primary.length > 0) {
      const failed = this.db
        .prepare(`SELECT seq, data FROM events WHERE seq > ? AND type = 'effect.failed' AND causation IN (${primary.map(() => "?").join(",")})`)
        .all(since, ...primary) as { seq: number; data: string }[];
      for (const row of failed) found.push({ seq: row.seq, error: (JSON.parse(row.data) as { error: ErrorInfo }).error });
    }
    found.sort((a, b) => a.seq - b.seq);
    return found.map((f) => f.error);
  }
}
