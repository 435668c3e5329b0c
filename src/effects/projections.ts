import type { StoredEvent } from "../domain/events.js";
import { type Touched, touched } from "../domain/projection.js";
import type { State } from "../domain/state.js";
import type { StateProjection } from "../drivers/contract.js";

/**
 * Runs the state projections (hosts files, the nftables table) after folds, one at a time and in
 * order. Folds that arrive while one is being applied are merged into the next run, which reads the
 * latest state: a burst of commits costs one rewrite. A projection that fails is reported as a warning
 * and left for the next change or for recovery, which rebuilds everything: the log is already right.
 */
export class Projections {
  private pending: { touched: Touched; before: State } | undefined;
  private running: Promise<void> = Promise.resolve();
  private scheduled = false;

  constructor(
    private readonly list: readonly StateProjection[],
    private readonly current: () => State,
  ) {}

  afterFold(before: State, events: readonly StoredEvent[], after: State): void {
    if (this.list.length === 0 || events.length === 0) return;
    const t = touched(before, after, events);
    if (t.networks.size === 0 && t.sandboxes.size === 0) return;
    if (this.pending) {
      for (const id of t.networks) this.pending.touched.networks.add(id);
      for (const id of t.sandboxes) this.pending.touched.sandboxes.add(id);
    } else this.pending = { touched: t, before };
    if (!this.scheduled) {
      this.scheduled = true;
      this.running = this.running.then(() => this.drainPending());
    }
  }

  private async drainPending(): Promise<void> {
    this.scheduled = false;
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    const state = this.current();
    for (const proj of this.list) {
      try {
        await proj.update(state, p.touched, p.before);
      } catch (e) {
        process.emitWarning(`netledger: ${proj.name} not brought up to date (run "netledger recover" to rebuild it): ${(e as Error).message}`);
      }
    }
  }

  /** Resolves once every fold so far is projected. */
  async idle(): Promise<void> {
    for (;;) {
      const r = this.running;
      await r;
      if (r === this.running && !this.scheduled) return;
    }
  }

  /** Rebuilds every projection from the state; errors are returned, one message per projection that failed. */
  rebuild(): Promise<string[]> {
    const errors: string[] = [];
    const done = this.running.then(async () => {
      const state = this.current();
      for (const proj of this.list) {
        try {
          await proj.rebuild(state);
        } catch (e) {
          errors.push(`${proj.name}: ${(e as Error).message}`);
        }
      }
    });
    this.running = done;
    return done.then(() => errors);
  }
}
