import type { Watcher } from "etcd3";
import type { ClusterConnection } from "./connection.js";

const retryMs = 500;

/**
 * A watch that is made again when etcd cancels it. The client resumes a broken watch stream from the
 * revision after the last it delivered; once etcd has compacted that revision (its own
 * --auto-compaction-retention, an operator's `etcdctl compact`, or this cluster's compaction after a
 * snapshot), etcd cancels the watch, and the client emits `error` and drops it for good. Left so, the
 * node heard of nothing more until its next poll. Here `make` is called again (it sets the handlers
 * and says where to start, after reading what it may have missed), until it succeeds or the watch is
 * cancelled here.
 */
export class LastingWatch {
  private current: Watcher | null = null;
  private closed = false;
  /** How many times the watch was made again (tests). */
  remade = 0;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly what: string,
    private readonly make: () => Promise<Watcher>,
  ) {}

  /** Makes the watch; rejects (ClusterUnavailable) if it cannot be made. */
  async start(): Promise<void> {
    const w = await this.conn.call(this.what, () => this.make());
    if (this.closed) return this.cancelWithin(w);
    this.current = w;
    let gone = false;
    w.on("error", () => {
      if (gone) return;
      gone = true;
      if (this.current === w) this.current = null;
      void this.again();
    });
  }

  private async again(): Promise<void> {
    while (!this.closed) {
      try {
        await this.start();
        this.remade++;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, retryMs).unref());
      }
    }
  }

  async cancel(): Promise<void> {
    this.closed = true;
    const w = this.current;
    this.current = null;
    if (w) await this.cancelWithin(w);
  }

  /**
   * Cancels `w` as a call of the connection, so waiting at most --cluster-timeout. The client can lose
   * track of a watch: etcd answers a watch it refuses at creation (its revision compacted) with
   * "created" and "canceled" at once, and the client gives that answer to the first of its watches
   * still without an id, which need not be the one refused. A watch left without an id waits for its id
   * before it cancels, and never gets it; a node's close waited on it for good. Its connection is
   * closed after, which ends the watch anyway.
   */
  private async cancelWithin(w: Watcher): Promise<void> {
    await this.conn.call(`cancel: ${this.what}`, () => w.cancel()).catch(() => undefined);
  }
}
