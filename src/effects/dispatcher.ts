import { effectTable, policyFor, type TypedEffect, undoEffect } from "../domain/effects/table.js";
import { asNetledgerError, NetledgerError } from "../domain/errors.js";
import type { EffectRecord } from "../domain/state.js";
import type { EffectCall } from "../drivers/contract.js";
import type { DriverRegistry } from "../drivers/registry.js";
import { attemptsInDoubt } from "../domain/decide/ipamLeaks.js";
import { crashPoint } from "./crashPoints.js";
import { execute } from "./executor.js";

export type Outcome = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

export interface Backoff {
  /** The wait after the first failure to reach a driver, in ms. */
  initial: number;
  /** The longest wait, in ms: the back-off doubles up to it. */
  max: number;
}

const defaultBackoff: Backoff = { initial: 250, max: 30_000 };
const defaultCallTimeoutMs = 30_000;

export interface DispatcherOptions {
  registry: DriverRegistry;
  databaseId: string;
  /**
   * Records an outcome (through the controller's command path); `attempt` fences it (see effect.outcome).
   * The effect counts as this process's until what it returns settles: an outcome still queued for
   * its commit is not in doubt.
   */
  report: (effectId: number, attempt: number, outcome: Outcome) => unknown;
  /**
   * Told once per dispatch when a driver cannot be reached: the effect stays pending, retried with
   * back-off. `sentNothing`: this attempt sent no call at all (no undo went first), so it can be recorded
   * as unsent (effect.unsent). What it returns is waited for before the back-off starts.
   */
  onUnavailable?: (effectId: number, error: NetledgerError, attempt: number, sentNothing: boolean) => unknown;
  backoffMs?: Backoff;
  /** How long one driver call may take before it is abandoned as a Timeout (default 30 s). */
  callTimeoutMs?: number;
  /**
   * Puts the intents committed so far on disk (the store's deferred fsync), in-line: made before a
   * call whose result outlives a reboot, so that a power loss cannot lose the intent of something a
   * plugin still holds. In-line, as the durable commit it replaces was, so that the calls and their
   * outcomes' commits come in the same order as before.
   */
  durable?: () => void;
}

const ipamOps = new Set(["requestPool", "releasePool", "requestAddress", "releaseAddress"]);

/** The wait before the next try after `failures` consecutive PluginUnavailable answers: capped doubling. */
export function backoffDelay(failures: number, b: Backoff = defaultBackoff): number {
  return Math.min(b.max, b.initial * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

/** Effects being dispatched by any dispatcher of this process, by database: a live process's are never in doubt. */
const inProcess = new Set<string>();

export function dispatchedInThisProcess(databaseId: string, effectId: number): boolean {
  return inProcess.has(`${databaseId}:${effectId}`);
}

/**
 * Runs effect intents outside any transaction, at least once. One call per effect at a time; the
 * domain allows one open effect per resource, and a call abandoned after a timeout still holds its
 * resource here until it answers (at most one more timeout), so at most one call per resource is in
 * flight. An effect taken over from a dead process (`inDoubt`) is dispatched under its in-doubt policy.
 * A driver that cannot be reached (PluginUnavailable) leaves the effect pending, tried again with
 * capped exponential back-off; every other answer is an outcome.
 */
export class Dispatcher {
  private readonly running = new Map<number, Promise<void>>();
  private readonly waiting = new Map<number, { timer: NodeJS.Timeout; retry: () => void }>();
  /** Calls abandoned after a timeout, by resource: the next call on the resource waits for them. */
  private readonly abandoned = new Map<string, Promise<unknown>>();
  private readonly backoff: Backoff;
  private readonly timeoutMs: number;
  private stopped = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.backoff = opts.backoffMs ?? defaultBackoff;
    this.timeoutMs = opts.callTimeoutMs ?? defaultCallTimeoutMs;
  }

  /** Whether this dispatcher is calling or backing off for an effect. */
  isRunning(effectId: number): boolean {
    return this.running.has(effectId) || this.waiting.has(effectId);
  }

  /** Effects waiting to try an unavailable driver again. */
  backingOff(): number[] {
    return [...this.waiting.keys()];
  }

  /** Starts the call for an effect; `inDoubt` applies the effect's in-doubt policy first. */
  start(fx: EffectRecord, inDoubt: boolean): void {
    if (this.stopped || this.isRunning(fx.id)) return;
    this.launch(fx, inDoubt, 0);
  }

  /** Tries an effect that is backing off now instead of at its next turn. */
  retryNow(effectId: number): boolean {
    const w = this.waiting.get(effectId);
    if (!w) return false;
    clearTimeout(w.timer);
    w.retry();
    return true;
  }

  private launch(fx: EffectRecord, inDoubt: boolean, failures: number): void {
    const key = `${this.opts.databaseId}:${fx.id}`;
    inProcess.add(key);
    const p = this.attempt(fx, inDoubt, failures).finally(() => {
      this.running.delete(fx.id);
      if (!this.waiting.has(fx.id)) inProcess.delete(key);
    });
    this.running.set(fx.id, p);
  }

  private async attempt(fx: EffectRecord, inDoubt: boolean, failures: number): Promise<void> {
    const attempt = fx.attempts.length;
    const call: EffectCall = { effectId: fx.id, attempt, databaseId: this.opts.databaseId };
    let outcome: Outcome;
    const policy = policyFor(fx.op);
    const undo = undoEffect(fx);
    const undoFirst = inDoubt && policy.undoFirst && undo !== null;
    const settlePool = inDoubt && policy.releaseAnswered === true && fx.op === "requestPool" && fx.args.request.pool !== "";
    try {
      if (this.opts.durable && this.opts.registry.outlivesReboot(fx.driver, ipamOps.has(fx.op))) this.opts.durable();
      if (settlePool) await this.releaseAnsweredPool(fx, call);
      if (undoFirst && undo) {
        try {
          await this.call(fx, undo, call);
        } catch (e) {
          // The undo of a call that was never made fails; that is why its errors are tolerated.
          if (asNetledgerError(e).code === "PluginUnavailable") throw e;
        }
      }
      outcome = { ok: true, result: await this.call(fx, fx, call) };
    } catch (e) {
      const err = asNetledgerError(e, "DriverError");
      if (err.code === "PluginUnavailable") {
        if (failures === 0) await this.opts.onUnavailable?.(fx.id, err, attempt, !undoFirst && !settlePool);
        return this.retryLater(fx, inDoubt, failures + 1);
      }
      if (err.code === "NotFound" && policy.notFoundIsSuccess) outcome = { ok: true, result: null };
      else outcome = { ok: false, error: { code: err.code, message: err.message } };
    }
    if (this.stopped) return;
    crashPoint("after-call");
    await this.opts.report(fx.id, attempt, outcome);
  }

  /**
   * A RequestPool naming a pool, in doubt: the lost attempts may each hold a reference on the pool the
   * driver answers identical requests with (libnetwork's allocator counts them). Ask again to learn its
   * id, then ReleasePool it once per reference this and the lost attempts may hold, stopping when the
   * driver refuses (it holds none); the call made next takes the one reference the network keeps.
   */
  private async releaseAnsweredPool(fx: Extract<EffectRecord, { op: "requestPool" }>, call: EffectCall): Promise<void> {
    const answer = await this.call(fx, fx, call);
    const { poolId } = effectTable.requestPool.result.parse(answer);
    const release: TypedEffect = { op: "releasePool", args: { network: fx.args.network, owner: fx.args.owner, request: { poolId } } };
    for (let i = 0; i <= attemptsInDoubt(fx); i++) if ((await this.call(fx, release, call)) !== null) break;
  }

  /** One driver call (the effect's own, or its undo), abandoned (and its signal aborted) when it takes longer than the call timeout. */
  private async call(fx: EffectRecord, effect: TypedEffect, base: EffectCall): Promise<unknown> {
    const op = effect.op;
    await this.resourceFree(fx.resource);
    const ac = new AbortController();
    const pending = execute(this.opts.registry, fx.driver, effect, { ...base, signal: ac.signal });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new NetledgerError(
      "Timeout",
      `driver ${fx.driver}: ${op}: no answer within ${this.timeoutMs} ms; the call was abandoned`,
    );
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timedOut), this.timeoutMs)));
    try {
      return await Promise.race([pending, deadline]);
    } catch (e) {
      if (e === timedOut) {
        ac.abort(timedOut);
        this.abandoned.set(fx.resource, pending.catch(() => undefined));
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async resourceFree(resource: string): Promise<void> {
    const prior = this.abandoned.get(resource);
    if (!prior) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([prior, new Promise((r) => (timer = setTimeout(r, this.timeoutMs)))]);
    clearTimeout(timer);
    if (this.abandoned.get(resource) === prior) this.abandoned.delete(resource);
  }

  private retryLater(fx: EffectRecord, inDoubt: boolean, failures: number): void {
    if (this.stopped) return;
    const retry = () => {
      this.waiting.delete(fx.id);
      if (!this.stopped) this.launch(fx, inDoubt, failures);
    };
    const timer = setTimeout(retry, backoffDelay(failures, this.backoff));
    // A pending retry never keeps the process alive: the effect stays in the log for the next one.
    timer.unref();
    this.waiting.set(fx.id, { timer, retry });
  }

  /** Calls in flight now; waiting for them lets their outcomes be recorded before a close. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops retrying; pending effects stay pending in the log for the next process. */
  stop(): void {
    this.stopped = true;
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      inProcess.delete(`${this.opts.databaseId}:${id}`);
    }
    this.waiting.clear();
  }
}
