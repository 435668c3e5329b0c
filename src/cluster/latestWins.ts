/**
 * Hands the latest of a stream of values to `f`, one run at a time and at most once per `everyMs`: a
 * projection of the whole cluster state (the DNS server's peer records, the overlay peer table) costs
 * time in the size of the state, so a burst of folds (one per append of the cluster, on every node)
 * must cost one projection, not one each. The wait after a run is also at least `share` times the
 * work the run did on the thread (the time until `f` handed back its promise), so the projections of
 * a large state keep to a bounded share of it, however fast the cluster appends.
 */
export class LatestWins<T> {
  private next: { value: T } | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Resolves once a run that saw the latest value handed over has finished. */
  private done: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  /** The wait before the next run: everyMs, or more after a long run. */
  private waitMs: number;

  constructor(
    private readonly f: (value: T) => Promise<void>,
    private readonly everyMs: number,
    private readonly share = 9,
  ) {
    this.waitMs = everyMs;
  }

  /** Hands `value` over; the promise settles once a run that saw it (or a later value) has finished. */
  push(value: T, now = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.next = { value };
    if (!this.release) this.done = new Promise((r) => (this.release = r));
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.run();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.run();
      }, this.waitMs);
      this.timer.unref();
    }
    return this.done;
  }

  private run(): void {
    const release = this.release;
    this.release = undefined;
    this.running = this.running.then(async () => {
      const next = this.next;
      this.next = null;
      let took = 0;
      try {
        if (!next) return;
        const t0 = performance.now();
        // The time until f hands back its promise: the projection's own work, not the I/O it awaits.
        const p = this.f(next.value);
        took = performance.now() - t0;
        await p;
      } catch {
        // f keeps its own errors (the node notes them for `cluster status`); the next run goes on.
      } finally {
        this.waitMs = Math.max(this.everyMs, Math.min(1000, this.share * took));
        release?.();
      }
    });
  }

  private stopped = false;

  /** Stops what is not yet started (what is running finishes); later values are dropped. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next = null;
    this.release?.();
    this.release = undefined;
    return this.running;
  }
}
