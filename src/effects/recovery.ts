import * as C from "../domain/collection.js";
import { NetledgerError } from "../domain/errors.js";
import type { ErrorInfo } from "../domain/events.js";
import { type EffectRecord, neverSent } from "../domain/state.js";
import type { DriverRegistry } from "../drivers/registry.js";
import type { EffectHistory, EffectSummary } from "../store/effectHistory.js";
import { type Dispatcher, dispatchedInThisProcess } from "./dispatcher.js";
import { currentAttempt, isAlive, isSelf } from "./processIdentity.js";
import { randomHex } from "./randomHex.js";
import type { CommandSink, SubmitOptions } from "./sink.js";
import { type EffectTracker, toError } from "./tracker.js";

/** What became of an effect recovery touched: the log's summary of it (store/effectHistory.ts), by id. */
export type RecoveredEffect = { effect: number } & EffectSummary;

export interface RecoveryReport {
  /** A reboot recorded by this recovery (the kernel boot id changed since the log last saw it). */
  boot: { previous: string; current: string } | null;
  /** Effects this recovery took over or tried again, with what became of them. */
  resolved: RecoveredEffect[];
  /** Open effects a live process is making: left to it. */
  left: (RecoveredEffect & { pid: number })[];
  /** Projections (hosts files, nftables) that could not be rebuilt, and why. */
  projectionErrors?: string[];
}

/** What the kernel no longer holds after a reboot: the sandboxes whose namespace is gone, and the drivers to re-program. */
export interface KernelLoss {
  drivers: string[];
  goneSandboxes: string[];
}

/** What `reprogram` did: the networks made again and the sandboxes removed because their namespace was gone. */
export interface ReprogramReport {
  /** Networks whose CreateNetwork was made again (their joined endpoints were joined again after it). */
  networks: string[];
  /** Sandboxes removed because their namespace was gone. */
  removedSandboxes: string[];
  projectionErrors?: string[];
}

export interface RecoveryOptions {
  sink: CommandSink;
  registry: DriverRegistry;
  tracker: EffectTracker;
  dispatcher: Dispatcher;
  history: EffectHistory;
  databaseId: string;
  /** Whether a sandbox's namespace still exists (the sandbox layer's answer). */
  namespaceExists: (key: string) => boolean;
  /** Resolves once no call is running and nothing is queued (back-offs excepted). */
  quiet: () => Promise<void>;
  /** Rebuilds the projections from the state; returns what could not be rebuilt. */
  rebuildProjections: () => Promise<string[]>;
  closed: () => boolean;
}

/**
 * Recovery (docs/architecture.md, recovery): an open effect whose process is gone is in doubt, and is taken over — a new
 * attempt recorded, then the call made under its in-doubt policy. A reboot (a new kernel boot id) is
 * recorded with what the kernel lost. A live process's effects are never taken over.
 */
export class Recovery {
  /** Effects being taken over right now, so that a poll does not ask twice. */
  private readonly takingOver = new Set<number>();
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RecoveryOptions) {}

  /** Whether an open effect's process is gone: its last attempt's, or ours when no call for it runs here. Such effects are taken over. */
  isOrphan(f: EffectRecord): boolean {
    const last = f.attempts.at(-1)!;
    if (isSelf(last)) return !dispatchedInThisProcess(this.o.databaseId, f.id);
    return !isAlive(last);
  }

  /** An orphan that may have acted: in doubt. One whose attempts all sent nothing (effect.unsent) is only pending. */
  isInDoubt(f: EffectRecord): boolean {
    return this.isOrphan(f) && !neverSent(f);
  }

  /** Open effects whose process is gone, in doubt or not: what recovery takes over. */
  orphans(): EffectRecord[] {
    return [...C.values(this.o.sink.state.effects)].filter((f) => this.isOrphan(f));
  }

  /** Open effects whose process is gone: in doubt (docs/architecture.md, recovery). */
  inDoubt(): EffectRecord[] {
    return [...C.values(this.o.sink.state.effects)].filter((f) => this.isInDoubt(f));
  }

  /**
   * Records a reboot (host.booted) when the kernel boot id differs from the last one the log saw;
   * returns the change, or null. Effects of the earlier boot are then in doubt (isAlive).
   */
  async noteBoot(): Promise<{ previous: string; current: string } | null> {
    const previous = this.o.sink.state.boot;
    const current = currentAttempt().boot;
    if (previous === null || previous === current) return null;
    const r = await this.o.sink.submit({ type: "host.boot", ...this.kernelLoss() });
    return r.events.length > 0 ? { previous, current } : null;
  }

  /** What the kernel no longer holds after a reboot: the sandboxes whose namespace is gone, and the drivers to re-program. */
  kernelLoss(): KernelLoss {
    const { sink, registry, namespaceExists } = this.o;
    sink.refresh();
    const goneSandboxes = [...C.values(sink.state.sandboxes)].filter((sb) => sb.key !== null && !namespaceExists(sb.key)).map((sb) => sb.id);
    const drivers = registry
      .list()
      .filter((d) => d.origin === "builtin" && d.capability.sideEffects)
      .map((d) => d.name);
    return { drivers, goneSandboxes };
  }

  /**
   * Re-programs the kernel from the state when the boot id has changed (the namespaces, links and
   * nftables rules are gone): sandboxes whose namespace no longer exists are removed with their
   * endpoints, networks of the built-in kernel drivers are created again and their joined endpoints
   * joined again — all through events — and the projections are rebuilt. Run it once in-doubt effects
   * are settled; entities still busy are skipped and a later run takes them.
   */
  async reprogram(opts: SubmitOptions = {}): Promise<ReprogramReport> {
    const { drivers, goneSandboxes } = this.kernelLoss();
    const r = await this.o.sink.submit({ type: "kernel.reprogram", drivers, goneSandboxes }, opts);
    if (r.settled) await r.settled;
    const projectionErrors = await this.o.rebuildProjections();
    return {
      networks: r.events.filter((e) => e.type === "network.reprogrammed").map((e) => e.stream),
      removedSandboxes: goneSandboxes.filter((id) => r.events.some((e) => e.type === "sandbox.deleted" && e.stream === id)),
      ...(projectionErrors.length ? { projectionErrors } : {}),
    };
  }

  /**
   * Takes effects over: a new attempt (effect.attempted) for each, after which this process makes
   * the call under the effect's in-doubt policy. Does not wait for the calls. Resolves to the effects
   * it took; one another process took first is left to it.
   */
  async takeOver(effects: readonly EffectRecord[]): Promise<number[]> {
    const fresh = effects.filter((f) => !this.takingOver.has(f.id));
    for (const f of fresh) this.takingOver.add(f.id);
    const settled = await Promise.allSettled(fresh.map((f) => this.o.sink.submit({ type: "effect.retry", effect: f.id, seen: f.attempts.length })));
    for (const f of fresh) this.takingOver.delete(f.id);
    return fresh.filter((_, i) => settled[i]!.status === "fulfilled").map((f) => f.id);
  }

  /** At open: a reboot recorded, and what dead processes left taken over (the calls run after). */
  async atOpen(): Promise<void> {
    await this.noteBoot();
    await this.takeOver(this.orphans());
  }

  /**
   * Resolves what is open now and lists what it did: records a reboot, takes over every effect whose
   * process is gone (under its in-doubt policy), tries effects backing off for an unavailable driver
   * once more, and waits for their outcomes (not for drivers still unavailable). Effects a live
   * process is making are left to it, and listed.
   */
  async recover(): Promise<RecoveryReport> {
    const { sink, tracker, dispatcher } = this.o;
    sink.refresh();
    const boot = await this.noteBoot();
    const open = [...C.values(sink.state.effects)];
    const inDoubt = open.filter((f) => this.isOrphan(f));
    // Effects taken over earlier (at open) and still being made here are resolved here too.
    const takenEarlier = open
      .filter((f) => !inDoubt.includes(f) && f.attempts.length > 1 && isSelf(f.attempts.at(-1)!) && dispatcher.isRunning(f.id))
      .map((f) => f.id);
    const taken = await this.takeOver(inDoubt);
    const retried = dispatcher.backingOff().filter((id) => dispatcher.retryNow(id));
    const root = `recover:${randomHex(8)}`;
    const w = tracker.waiterFor(root, false);
    w.follow = true;
    w.followedIds = [];
    const resolving = [...new Set([...takenEarlier, ...taken, ...retried])];
    for (const id of resolving) if (C.has(sink.state.effects, String(id))) tracker.track(w, root, id, true);
    // quiet() ends the wait when all that is left is backing off for a driver still unavailable.
    if (w.open.size > 0) await Promise.race([w.promise, this.o.quiet()]);
    tracker.forget(root);
    const left = open
      .filter((f) => !inDoubt.includes(f) && !dispatcher.isRunning(f.id) && C.has(sink.state.effects, String(f.id)))
      .map((f) => ({ ...this.report(f.id), pid: f.attempts.at(-1)!.pid }));
    // The hosts files and the nftables table are derived: whatever a crash left them as, rebuild them.
    const projectionErrors = await this.o.rebuildProjections();
    return {
      boot,
      // What the resolved outcomes led to (continuations, compensations) is listed after them.
      resolved: w.followedIds.map((id) => this.report(id)),
      left,
      ...(projectionErrors.length ? { projectionErrors } : {}),
    };
  }

  /**
   * A request id seen before: the repeat returns the first run's result. When that run is still in
   * flight (its process crashed, or is busy elsewhere) the repeat waits for it to complete, taking over
   * what a dead process left; when it failed, the repeat fails the same way (the error returned here).
   */
  followRepeat(root: string, since: number): NetledgerError | undefined {
    const { sink, tracker } = this.o;
    const first = this.o.history.failuresSince(root, since)[0];
    const failure = first && toError(first.error);
    const open = [...C.values(sink.state.effects)].filter((f) => f.root === root);
    if (open.length === 0) return failure;
    const w = tracker.waiterFor(root, true);
    if (failure) w.error ??= failure;
    for (const f of open) tracker.track(w, root, f.id, f.inverse);
    void this.takeOver(open.filter((f) => this.isOrphan(f)));
    this.ensurePolling();
    return undefined;
  }

  /**
   * While a waiter waits on another process's effects, look at the log for their outcomes, and take
   * over the ones whose process has died meanwhile.
   */
  private ensurePolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.o.closed()) return;
      try {
        this.o.sink.refresh();
      } catch {
        return; // a busy reader retries on the next tick
      }
      const foreign: EffectRecord[] = [];
      for (const id of this.o.tracker.trackedIds()) {
        const f = C.get(this.o.sink.state.effects, String(id));
        if (f && !this.o.dispatcher.isRunning(id)) foreign.push(f);
      }
      if (foreign.length === 0) return this.stop();
      const gone = foreign.filter((f) => this.isOrphan(f));
      if (gone.length > 0) void this.takeOver(gone);
    }, 20);
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** What became of an effect: its outcome from the log, or why it is still open. */
  report(id: number): RecoveredEffect {
    const open = C.get(this.o.sink.state.effects, String(id));
    if (open) {
      const backingOff = this.o.dispatcher.backingOff().includes(id);
      return {
        effect: id,
        op: open.op,
        driver: open.driver,
        resource: open.resource,
        attempts: open.attempts.length,
        outcome: "pending",
        ...(backingOff ? { error: { code: "PluginUnavailable", message: `driver ${open.driver} is unavailable; retried with back-off` } } : {}),
      };
    }
    const summary = this.o.history.summary(id);
    if (!summary) throw new NetledgerError("Internal", `event ${id} is not an effect intent`);
    return { effect: id, ...summary };
  }
}
