import { type ErrorCode, NetledgerError } from "../domain/errors.js";
import type { ErrorInfo, StoredEvent } from "../domain/events.js";

/** A command (its root) waiting for its effects, continuations and compensations included. */
export interface Waiter {
  open: Set<number>;
  error?: NetledgerError;
  /** Reject at once when a driver is unavailable (a caller waits for no back-off); recovery waits. */
  failFast: boolean;
  /**
   * Also wait for the effects that the outcomes of its effects request (continuations, compensations,
   * by causation): recovery resolves a chain to its end, as a command's waiter does through its root.
   */
  follow?: boolean;
  /** With `follow`: every effect it has waited for, in order, for recovery's report. */
  followedIds?: number[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** An effect a waiter waits for: whose it is, and whether its failure fails the command. */
interface Tracked {
  root: string;
  /** An inverse call settles a compensation; its failure is not the command's error. */
  inverse: boolean;
}

export function toError(e: ErrorInfo): NetledgerError {
  return new NetledgerError(e.code as ErrorCode, e.message);
}

/**
 * Which command waits for which effect. A command's effects carry its root (continuations and
 * compensations too), so its waiter learns of each intent as it is folded and settles once every one
 * has an outcome: resolved, or rejected with the first failure of a call that was not an undo.
 */
export class EffectTracker {
  private readonly waiters = new Map<string, Waiter>();
  /** effect id → the waiters tracking it (a command, and a recovery, may wait on the same effect). */
  private readonly tracked = new Map<number, Tracked[]>();

  /** Starts this process's own calls as their intents (or takeovers) are folded. */
  constructor(private readonly start: (effect: number, inDoubt: boolean) => void) {}

  waiter(root: string): Waiter | undefined {
    return this.waiters.get(root);
  }

  waiterFor(root: string, failFast: boolean): Waiter {
    let w = this.waiters.get(root);
    if (!w) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => {}); // rejections are observed by the caller; never unhandled here
      w = { open: new Set(), failFast, promise, resolve, reject };
      this.waiters.set(root, w);
    }
    return w;
  }

  /** Stops waiting under this root (its waiter is dropped, unsettled). */
  forget(root: string): void {
    this.waiters.delete(root);
  }

  track(w: Waiter, root: string, effect: number, inverse: boolean): void {
    if (w.follow && !w.open.has(effect)) w.followedIds?.push(effect);
    w.open.add(effect);
    const list = this.tracked.get(effect) ?? [];
    if (!list.some((t) => t.root === root)) list.push({ root, inverse });
    this.tracked.set(effect, list);
  }

  /** The effects some waiter is waiting for. */
  trackedIds(): number[] {
    return [...this.tracked.keys()];
  }

  /**
   * After events are folded: waiters learn of the effects their commands caused and of their
   * outcomes; our own intents and takeovers are started. Effects are started only from events this
   * process appended (`own`), never from what it catches up on: another controller, even in this
   * process, dispatches its own. `roots` are the commands of this commit that wait for their effects.
   */
  folded(events: readonly StoredEvent[], own: boolean, roots?: ReadonlySet<string>): void {
    const touched = new Set<string>();
    // Outcomes whose waiters follow what they lead to: effect id → those waiters' roots.
    const followed = new Map<number, string[]>();
    for (const e of events) {
      if (e.type !== "effect.succeeded" && e.type !== "effect.failed") continue;
      const list = (this.tracked.get(e.data.effect) ?? []).map((t) => t.root).filter((r) => this.waiters.get(r)?.follow);
      if (list.length > 0) followed.set(e.data.effect, list);
    }
    for (const e of events) {
      if (e.type === "effect.requested") {
        const root = e.data.root;
        const w = this.waiters.get(root) ?? (roots?.has(root) ? this.waiterFor(root, true) : undefined);
        if (w) {
          this.track(w, root, e.seq, e.data.inverse ?? false);
          if (e.data.failure) w.error ??= toError(e.data.failure);
        }
        const cause = e.meta.causation;
        for (const r of cause === undefined ? [] : (followed.get(cause) ?? [])) {
          if (r !== root) this.track(this.waiters.get(r)!, r, e.seq, true);
        }
        if (own) this.start(e.seq, false);
      } else if (e.type === "effect.attempted") {
        if (own) this.start(e.data.effect, true);
      } else if (e.type === "effect.succeeded" || e.type === "effect.failed") {
        const list = this.tracked.get(e.data.effect);
        if (list === undefined) continue;
        this.tracked.delete(e.data.effect);
        for (const t of list) {
          const w = this.waiters.get(t.root);
          if (!w) continue;
          w.open.delete(e.data.effect);
          if (e.type === "effect.failed" && !t.inverse) w.error ??= toError(e.data.error);
          touched.add(t.root);
        }
      }
    }
    for (const root of touched) {
      const w = this.waiters.get(root)!;
      if (w.open.size > 0) continue;
      this.waiters.delete(root);
      if (w.error) w.reject(w.error);
      else w.resolve();
    }
  }

  /** A command waiting on a driver that cannot be reached fails now; the call stays pending, retried. */
  unavailable(effect: number, error: NetledgerError): void {
    for (const t of this.tracked.get(effect) ?? []) {
      const w = this.waiters.get(t.root);
      if (!w || !w.failFast) continue;
      this.waiters.delete(t.root);
      // When the command has failed already and this is its undo that waits, the failure is the answer.
      w.reject(
        w.error && t.inverse
          ? new NetledgerError(
              w.error.code,
              `${w.error.message}; undoing it waits for the driver (${error.message}), retried with back-off (run "netledger recover" once the driver is back)`,
              { ...w.error.details, effect },
            )
          : new NetledgerError(
              "PluginUnavailable",
              `${error.message}; the call stays pending and is retried with back-off (run "netledger recover" once the driver is back)`,
              { effect },
            ),
      );
    }
  }

  /** Every waiter fails with `error` (the controller is closing). */
  rejectAll(error: NetledgerError): void {
    for (const w of this.waiters.values()) w.reject(error);
    this.waiters.clear();
  }
}
