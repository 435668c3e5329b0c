import { asNetledgerError, type NetledgerError } from "../domain/errors.js";
import type { EffectRecord } from "../domain/state.js";
import type { DriverRegistry } from "../drivers/registry.js";
import { execute } from "./executor.js";
import { policyFor } from "./policies.js";

export type Outcome = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

export interface DispatcherOptions {
  registry: DriverRegistry;
  databaseId: string;
  /** Records an outcome (through the controller's command path). */
  report: (effectId: number, outcome: Outcome) => void;
  /** First and largest wait between attempts at a driver that is unavailable. */
  backoffMs?: { initial: number; max: number };
}

/**
 * Runs effect intents outside any transaction, at least once. One call per effect at a time here, and
 * since the domain allows one open effect per resource, at most one call per resource. A driver that
 * cannot be reached (PluginUnavailable) leaves the effect pending and is tried again with capped
 * exponential back-off; every other answer is an outcome.
 */
export class Dispatcher {
  private readonly running = new Map<number, Promise<void>>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly opts: DispatcherOptions) {}

  isRunning(effectId: number): boolean {
    return this.running.has(effectId) || this.timers.has(effectId);
  }

  /** Starts the call for an effect; `inDoubt` applies the effect's in-doubt policy first. */
  start(fx: EffectRecord, inDoubt: boolean): void {
    if (this.stopped || this.isRunning(fx.id)) return;
    this.launch(fx, inDoubt, 0);
  }

  private launch(fx: EffectRecord, inDoubt: boolean, failures: number): void {
    const p = this.attempt(fx, inDoubt, failures).finally(() => this.running.delete(fx.id));
    this.running.set(fx.id, p);
  }

  private async attempt(fx: EffectRecord, inDoubt: boolean, failures: number): Promise<void> {
    const call = { effectId: fx.id, attempt: fx.attempts.length, databaseId: this.opts.databaseId };
    const policy = policyFor(fx.op);
    let outcome: Outcome;
    try {
      if (inDoubt && policy?.inverse) {
        try {
          await execute(this.opts.registry, { ...fx, op: policy.inverse }, call);
        } catch (e) {
          if (asNetledgerError(e).code === "PluginUnavailable") throw e;
          // The inverse of a call that never happened may fail; that is the point of tolerating it.
        }
      }
      outcome = { ok: true, result: (await execute(this.opts.registry, fx, call)) ?? null };
    } catch (e) {
      const err: NetledgerError = asNetledgerError(e, "DriverError");
      if (err.code === "PluginUnavailable") return this.retryLater(fx, inDoubt, failures + 1);
      if (err.code === "NotFound" && policy?.notFoundIsSuccess) outcome = { ok: true, result: null };
      else outcome = { ok: false, error: { code: err.code, message: err.message } };
    }
    if (!this.stopped) this.opts.report(fx.id, outcome);
  }

  private retryLater(fx: EffectRecord, inDoubt: boolean, failures: number): void {
    if (this.stopped) return;
    const { initial, max } = this.opts.backoffMs ?? { initial: 250, max: 30_000 };
    const delay = Math.min(max, initial * 2 ** Math.min(failures - 1, 20));
    const t = setTimeout(() => {
      this.timers.delete(fx.id);
      if (!this.stopped) this.launch(fx, inDoubt, failures);
    }, delay);
    t.unref();
    this.timers.set(fx.id, t);
  }

  /** Calls in flight now; waiting for them lets their outcomes be recorded before a close. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops retrying; pending effects stay pending in the log for the next process. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
