import type { Command } from "../domain/commands.js";
import * as C from "../domain/collection.js";
import { isNetledgerError, type NetledgerError } from "../domain/errors.js";
import type { StoredEvent } from "../domain/events.js";
import type { State } from "../domain/state.js";
import type { StateProjection } from "../drivers/contract.js";
import type { DriverRegistry } from "../drivers/registry.js";
import type { EffectHistory } from "../store/effectHistory.js";
import { type Backoff, Dispatcher, type Outcome } from "./dispatcher.js";
import { Projections } from "./projections.js";
import { Recovery } from "./recovery.js";
import type { Commit, CommandSink, FoldListener } from "./sink.js";
import { EffectTracker } from "./tracker.js";

export interface EffectLayerOptions {
  registry: DriverRegistry;
  databaseId: string;
  history: EffectHistory;
  /** What is kept in step with the state outside the log; none when open read-only. */
  projections: readonly StateProjection[];
  /** Whether a sandbox's namespace still exists (the sandbox layer's answer). */
  namespaceExists: (key: string) => boolean;
  backoffMs?: Backoff;
  callTimeoutMs?: number;
  /** The store's deferred fsync, made before a call whose result outlives a reboot (dispatcher.ts). */
  durable?: () => void;
}

/**
 * The effect layer: what happens after a commit. Intents folded by the bus are dispatched to their
 * drivers; each outcome goes back to the bus as a command; the tracker settles the commands waiting
 * on them; projections follow the state; recovery takes over what dead processes left. The outcome of
 * a call flows bus → dispatcher → bus → tracker without passing through the controller.
 */
export class EffectLayer implements FoldListener {
  readonly dispatcher: Dispatcher;
  readonly tracker: EffectTracker;
  readonly recovery: Recovery;
  readonly projections: Projections;
  private closed = false;

  constructor(
    private readonly sink: CommandSink,
    o: EffectLayerOptions,
  ) {
    this.projections = new Projections(o.projections, () => sink.state);
    this.tracker = new EffectTracker((id, inDoubt) => this.start(id, inDoubt));
    this.dispatcher = new Dispatcher({
      registry: o.registry,
      databaseId: o.databaseId,
      report: (id, attempt, outcome) => this.recordOutcome(id, attempt, outcome),
      onUnavailable: (id, error, attempt, sentNothing) => this.unavailable(id, error, attempt, sentNothing),
      ...(o.backoffMs ? { backoffMs: o.backoffMs } : {}),
      ...(o.callTimeoutMs !== undefined ? { callTimeoutMs: o.callTimeoutMs } : {}),
      ...(o.durable ? { durable: o.durable } : {}),
    });
    this.recovery = new Recovery({
      sink,
      tracker: this.tracker,
      dispatcher: this.dispatcher,
      history: o.history,
      databaseId: o.databaseId,
      registry: o.registry,
      namespaceExists: o.namespaceExists,
      quiet: () => this.quiet(),
      rebuildProjections: () => this.projections.rebuild(),
      closed: () => this.closed,
    });
  }

  folded(before: State, events: readonly StoredEvent[], after: State, own: boolean, roots?: ReadonlySet<string>): void {
    this.projections.afterFold(before, events, after);
    this.tracker.folded(events, own, roots);
  }

  settle(commit: Commit): Commit | NetledgerError {
    if (commit.repeated && commit.since !== undefined) {
      const failure = this.recovery.followRepeat(commit.root, commit.since);
      if (failure) return failure;
    }
    const w = this.tracker.waiter(commit.root);
    return w ? { ...commit, settled: w.promise } : commit;
  }

  /**
   * Takes over an effect in doubt under its policy; one whose every earlier attempt sent nothing is sent
   * plainly, once, without an undo (docs/architecture.md, recovery).
   */
  private start(id: number, inDoubt: boolean): void {
    const fx = C.get(this.sink.state.effects, String(id));
    if (fx) this.dispatcher.start(fx, inDoubt && (fx.unsent ?? 0) < fx.attempts.length - 1);
  }

  /**
   * A driver that cannot be reached: an attempt that sent nothing is recorded so (effect.unsent) before
   * the caller learns of it, so that once this process is gone the effect reads as pending, not in doubt.
   */
  private async unavailable(id: number, error: NetledgerError, attempt: number, sentNothing: boolean): Promise<void> {
    if (sentNothing)
      await this.sink.submit({ type: "effect.unsent", effect: id, attempt, error: { code: error.code, message: error.message } }).catch(() => undefined);
    this.tracker.unavailable(id, error);
  }

  /** Resolves once the outcome is committed (or refused): until then the effect is still ours, not in doubt. */
  private recordOutcome(effect: number, attempt: number, outcome: Outcome): Promise<void> {
    const cmd: Command = outcome.ok
      ? { type: "effect.outcome", effect, attempt, ok: true, result: outcome.result }
      : { type: "effect.outcome", effect, attempt, ok: false, error: outcome.error };
    return this.sink.submit(cmd).then(
      () => undefined,
      (e) => {
        // Conflict: the outcome is recorded already, or a newer attempt superseded ours (decideOutcome
        // refuses both), so nothing is lost. Anything else leaves the effect open, and since its call is
        // no longer running here it is in doubt: the next recovery makes it again under its policy.
        if (!(isNetledgerError(e) && e.code === "Conflict")) process.emitWarning(`netledger: outcome of effect ${effect} not recorded: ${e}`);
      },
    );
  }

  /** Resolves once no call is running and nothing is queued (pending back-offs excepted). */
  async quiet(): Promise<void> {
    for (;;) {
      await this.dispatcher.drain();
      await new Promise((r) => setImmediate(r));
      if (this.sink.idle()) {
        await this.dispatcher.drain();
        if (this.sink.idle()) return;
      }
    }
  }

  /** Finishes the calls in flight, their outcomes and the projections they lead to. */
  async drain(): Promise<void> {
    await this.quiet();
    await this.projections.idle();
  }

  /** Stops: nothing more is called or retried, and every waiter fails; what is pending stays in the log. */
  stop(error: NetledgerError): void {
    this.closed = true;
    this.dispatcher.stop();
    this.recovery.stop();
    this.tracker.rejectAll(error);
  }
}
