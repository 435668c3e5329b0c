import { reducerVersion, type State } from "../domain/state.js";
import { snapshotStretch } from "../domain/snapshotStretch.js";
import { serialiseState, type Store } from "../store/store.js";

/** How many events after the latest snapshot make the log "long": a writable open snapshots at once, a reader warns. */
export const defaultSnapshotEvery = 50_000;

/**
 * The stretch of log after which a writer snapshots as it goes, unless `snapshotEvery` sets one
 * (snapshotStretch). The floor, 2,000: folding and checking a tail event costs a reader about 40 µs
 * here, so 10,000 events cost 0.4 s of every read; 2,000 cost a writer a small snapshot (a few ms) per
 * second or so of writing.
 */
function stretchFor(state: State): number {
  return snapshotStretch(state.networks.size + state.endpoints.size + state.sandboxes.size + state.effects.size, 2_000);
}

/** Turns a snapshot waits for the command bus to fall idle before it is written anyway. */
const maxDeferrals = 20;
const deferMs = 5;

/**
 * Snapshots written as the log grows, by whichever process writes. After a commit that leaves the head
 * a stretch of events past the latest snapshot (this process's or another's), a snapshot of the state is
 * scheduled for a later turn of the event loop: never inside the commit that answers a caller, and
 * preferably at a moment when the bus has nothing queued (a busy bus gets a few turns' grace, then the
 * snapshot is written between two flushes). So an embedding runtime that never reopens its log still
 * leaves readers a recent snapshot, and a read replays at most about a stretch.
 */
export class Snapshotter {
  private known: number;
  private timer: NodeJS.Timeout | undefined;
  private deferrals = 0;
  private stopped = false;

  constructor(
    private readonly store: Store,
    /** `snapshotEvery` when given; else the stretch follows the state's size (stretchFor). */
    private readonly every: number | undefined,
    /** The latest snapshot the open found (or wrote), 0 for none. */
    latest: number,
    private readonly stateNow: () => State,
    private readonly busIdle: () => boolean,
  ) {
    this.known = latest;
  }

  /** After a commit: schedules a snapshot when the tail since the latest one is long enough. */
  committed(head: number): void {
    if (this.stopped || this.timer !== undefined || head - this.known < this.stretch()) return;
    this.deferrals = 0;
    this.schedule(0);
  }

  /** A snapshot this process wrote by request (`netledger snapshot`, or at open). */
  wrote(seq: number): void {
    this.known = Math.max(this.known, seq);
  }

  private stretch(): number {
    return this.every ?? stretchFor(this.stateNow());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    // Unreferenced: a pending snapshot never keeps a process alive; the next writer writes it.
    this.timer = setTimeout(() => this.run(), ms).unref();
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (!this.busIdle() && this.deferrals++ < maxDeferrals) return this.schedule(deferMs);
    // Another process may have written one meanwhile: one snapshot per stretch of the log is enough.
    this.known = Math.max(this.known, this.store.latestSnapshotSeq(reducerVersion) ?? 0);
    const state = this.stateNow();
    const stretch = this.stretch();
    if (state.seq - this.known < stretch) return;
    try {
      const { json, hash } = serialiseState(state);
      this.store.saveSnapshot(state.seq, reducerVersion, json, hash);
      this.known = state.seq;
    } catch {
      // A snapshot is only an optimisation: a full disk or a lock held too long costs a longer replay
      // later, never a command. Try again once the log has grown by half a stretch more.
      this.known = state.seq - Math.floor(stretch / 2);
    }
  }
}
