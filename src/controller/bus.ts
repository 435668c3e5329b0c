import { createHash } from "node:crypto";
import { canonicalJson } from "../domain/canonical.js";
import type { Command } from "../domain/commands.js";
import type { DecideContext } from "../domain/decide/index.js";
import { decide } from "../domain/decide/index.js";
import { asNetledgerError, isNetledgerError, NetledgerError } from "../domain/errors.js";
import type { EventMeta, StoredEvent } from "../domain/events.js";
import { BatchFold, BatchFoldFailed } from "../domain/batchFold.js";
import { evolve } from "../domain/evolve.js";
import type { State } from "../domain/state.js";
import { crashPoint } from "../effects/crashPoints.js";
import { randomHex } from "../effects/randomHex.js";
import type { Commit, CommandSink, EntityRef, FoldListener, SubmitOptions } from "../effects/sink.js";
import { RootActors } from "./rootActors.js";
import { type Head, toEvent } from "../store/eventLog.js";
import type { RequestRow, Store } from "../store/store.js";

interface Pending {
  cmd: Command;
  root: string;
  actor: string;
  requestId: string | undefined;
  labels: Record<string, string> | undefined;
  resolve: (r: Commit) => void;
  reject: (e: unknown) => void;
}

/** What a batch decided, before anything of it is written. */
interface Decided {
  results: (Commit | NetledgerError)[];
  appended: StoredEvent[];
  requests: RequestRow[];
  state: State;
  head: Head;
}

/** A request id's first run, as a repeat answers it. */
interface FirstRun {
  entity?: EntityRef;
  fingerprint: string;
  seq: number;
}

/**
 * The command bus: every command (a caller's, an effect's outcome, a takeover) goes through here.
 * Group commit: the commands that arrive in one turn of the event loop share one BEGIN IMMEDIATE
 * transaction, in which what other processes appended is caught up on, each command is decided against
 * the state so far, its events sealed into the hash chain, and a request id seen before answers with
 * its first result. After the commit the listener (the effect layer) learns what was folded.
 */
export class CommandBus implements CommandSink {
  private current: State;
  private head: Head;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private listener: FoldListener | undefined;
  /** Told after each commit of this process, once its callers have their answers (the snapshotter). */
  private afterCommit: ((head: number) => void) | undefined;
  /** Write transactions and the commands they carried, since open: group commit made visible. */
  private readonly counters = { commits: 0, commands: 0 };
  /** Callers' actors, inherited by their effects' outcomes. */
  private readonly rootActors = new RootActors();

  constructor(
    private readonly store: Store,
    loaded: { state: State; head: Head },
    private readonly actor: string,
    private readonly context: (root: string) => DecideContext,
  ) {
    this.current = loaded.state;
    this.head = loaded.head;
  }

  listen(listener: FoldListener): void {
    this.listener = listener;
  }

  onCommit(fn: (head: number) => void): void {
    this.afterCommit = fn;
  }

  get state(): State {
    return this.current;
  }

  get headNow(): Head {
    return this.head;
  }

  stats(): { commits: number; commands: number } {
    return { ...this.counters };
  }

  idle(): boolean {
    return this.queue.length === 0 && !this.flushScheduled;
  }

  submit(cmd: Command, opts: SubmitOptions = {}): Promise<Commit> {
    return new Promise((resolve, reject) => {
      const root = opts.requestId ?? randomHex(16);
      if (opts.actor !== undefined && opts.actor !== this.actor) this.rootActors.note(root, opts.actor, this.current, this.queue.map((p) => p.root));
      const actor = opts.actor ?? this.rootActors.of(cmd, this.current) ?? this.actor;
      this.queue.push({ cmd, root, actor, requestId: opts.requestId, labels: opts.labels, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Reads see what other processes have committed. */
  refresh(): void {
    if (this.store.log.head().seq !== this.current.seq) this.catchUp();
  }

  /** Folds what other processes appended since our last look. Inside or outside a transaction. */
  private catchUp(): void {
    const caught: StoredEvent[] = [];
    for (const row of this.store.log.rowsAfter(this.current.seq)) caught.push(toEvent(row));
    if (caught.length === 0) return;
    const before = this.current;
    for (let i = 0; i < caught.length; i += 4096) this.current = evolve(this.current, caught.slice(i, i + 4096));
    const last = caught.at(-1)!;
    this.head = { seq: last.seq, hash: last.hash };
    this.listener?.folded(before, caught, this.current, false);
  }

  /** One write transaction for every command queued since the last one. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let committed: { results: (Commit | NetledgerError)[]; appended: StoredEvent[]; state: State; head: Head };
    try {
      // The fsync waits for whoever needs it: the answer (Controller.run) and a call whose result
      // outlives a reboot (the dispatcher), both through store.durable().
      committed = this.store.write(
        () => {
          this.catchUp();
          return this.decideBatch(batch);
        },
        { defer: true },
      );
    } catch (e) {
      // The transaction failed as a whole (the lock, the disk): nothing of this batch was recorded.
      const err = asNetledgerError(e);
      for (const p of batch) p.reject(err);
      return;
    }
    const { results, appended } = committed;
    if (appended.length > 0) crashPoint(appended.some(isOutcome) ? "after-outcome" : "after-commit");
    const before = this.current;
    this.current = committed.state;
    this.head = committed.head;
    this.counters.commits++;
    this.counters.commands += batch.length;
    // The commands of this commit that wait for their effects: their intents carry their root.
    const roots = new Set<string>();
    for (const r of results) {
      if (isNetledgerError(r) || r.repeated) continue;
      if (r.events.some((e) => e.type === "effect.requested" && e.data.root === r.root)) roots.add(r.root);
    }
    this.listener?.folded(before, appended, this.current, true, roots);
    // Repeats are settled only once this batch's own intents are dispatched: an intent of the same
    // command requested in this batch (a continuation) is ours, not in doubt, and must not be taken over.
    const settled = results.map((r) => (isNetledgerError(r) || !this.listener ? r : this.listener.settle(r)));
    batch.forEach((p, i) => {
      const r = settled[i]!;
      if (isNetledgerError(r)) p.reject(r);
      else p.resolve(r);
    });
    if (appended.length > 0) this.afterCommit?.(this.head.seq);
  }

  /**
   * Inside the transaction: decide and seal each command against the state so far. The batch is folded
   * into one draft (domain/batchFold.ts); if the reducers refuse an event part-way, the batch is decided
   * again one command at a time, so that command alone is refused. Nothing is written until the end.
   */
  private decideBatch(batch: readonly Pending[]): { results: (Commit | NetledgerError)[]; appended: StoredEvent[]; state: State; head: Head } {
    let decided: Decided;
    try {
      decided = this.decideEach(batch, new BatchFold(this.current));
    } catch (e) {
      if (!(e instanceof BatchFoldFailed)) throw e;
      decided = this.decideEach(batch, undefined);
    }
    for (const r of decided.requests) this.store.recordRequest(r);
    this.store.log.insert(decided.appended);
    if (decided.appended.length > 0) crashPoint("before-commit");
    return decided;
  }

  /** Decides and folds each command: into the batch's draft, or (`draft` undefined) with one evolve each. */
  private decideEach(batch: readonly Pending[], draft: BatchFold | undefined): Decided {
    let state = this.current;
    let head = this.head;
    const results: (Commit | NetledgerError)[] = [];
    const firstRuns = new Map<string, FirstRun>();
    const out: StoredEvent[] = [];
    const requests: RequestRow[] = [];
    const time = new Date().toISOString();
    for (const p of batch) {
      try {
        const fingerprint = p.requestId !== undefined ? sha256(canonicalJson(p.cmd)) : "";
        if (p.requestId !== undefined) {
          const seen = firstRuns.get(p.requestId) ?? this.firstRun(p.requestId);
          if (seen) {
            if (seen.fingerprint !== fingerprint)
              throw new NetledgerError("Conflict", `request id ${p.requestId} was already used for a different command`);
            results.push({ events: [], repeated: true, root: p.requestId, since: seen.seq, ...(seen.entity ? { entity: seen.entity } : {}) });
            continue;
          }
        }
        const d = decide(draft ? draft.state : state, p.cmd, this.context(p.root));
        const causation = p.cmd.type === "effect.outcome" || p.cmd.type === "effect.retry" ? p.cmd.effect : undefined;
        const meta: EventMeta = { actor: p.actor, time };
        if (p.requestId !== undefined) meta.requestId = p.requestId;
        if (causation !== undefined) meta.causation = causation;
        if (p.labels !== undefined && Object.keys(p.labels).length > 0) meta.labels = p.labels;
        const stored = this.store.log.seal(head, d.events, meta);
        if (draft) draft.fold(stored);
        else state = evolve(state, stored);
        if (stored.length > 0) head = { seq: stored.at(-1)!.seq, hash: stored.at(-1)!.hash };
        out.push(...stored);
        if (p.requestId !== undefined && stored.length > 0) {
          requests.push({ request_id: p.requestId, fingerprint, seq: stored[0]!.seq, entity_kind: d.entity?.kind ?? null, entity_id: d.entity?.id ?? null });
          firstRuns.set(p.requestId, { ...(d.entity ? { entity: d.entity } : {}), fingerprint, seq: stored[0]!.seq });
        }
        results.push({ events: stored, repeated: false, root: p.root, ...(d.entity ? { entity: d.entity } : {}) });
      } catch (e) {
        if (e instanceof BatchFoldFailed) throw e;
        results.push(refusal(e));
      }
    }
    return { results, appended: out, requests, state: draft ? draft.finish() : state, head };
  }

  private firstRun(requestId: string): FirstRun | undefined {
    const row = this.store.request(requestId);
    if (!row) return undefined;
    const entity = row.entity_kind && row.entity_id ? { kind: entityKind(row.entity_kind), id: row.entity_id } : undefined;
    return { fingerprint: row.fingerprint, seq: row.seq, ...(entity ? { entity } : {}) };
  }
}

function entityKind(k: string): EntityRef["kind"] {
  if (k === "network" || k === "endpoint" || k === "sandbox") return k;
  throw new NetledgerError("Corrupt", `the requests table names an entity of unknown kind "${k}"`);
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function isOutcome(e: StoredEvent): boolean {
  return e.type === "effect.succeeded" || e.type === "effect.failed";
}

/** A decide() refusal or a reducer bug, as the error the caller gets. */
function refusal(e: unknown): NetledgerError {
  if (isNetledgerError(e)) return e;
  return new NetledgerError("Internal", `netledger could not apply this command: ${(e as Error).message}`);
}
