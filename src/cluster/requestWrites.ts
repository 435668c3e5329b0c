import type { ClusterConnection } from "./connection.js";
import { appenderKey, reqPrefix, resPrefix } from "./records.js";
import { takeBatch } from "./takeBatch.js";

interface Waiting {
  id: string;
  value: string;
  bytes: number;
  deadline: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Two conditions per request, and etcd takes at most 128 in one transaction (--max-txn-ops). */
const maxPuts = 60;
/** Answers deleted in one transaction, beside at most maxPuts puts: 120 operations. */
const maxDeletes = 60;
/** The most request JSON one transaction carries: under etcd's 1.5 MiB request limit. */
const maxBytes = 512 * 1024;
/** How long read answers wait for requests to go with before they are deleted on their own. */
const forgetAfterMs = 20;

/**
 * What a forwarding node writes (src/cluster/forwarding.ts), as a group commit: the requests it puts
 * while a transaction of them is in flight go together into the next, and the answers it has read are
 * deleted in the same transaction, so a node under load makes one etcd call for many commands, not two
 * each (each a raft proposal and a round trip). Answers read while no request follows are deleted on
 * their own a little later, best effort: one left behind is only a stale key.
 *
 * Each request is put on condition that neither it nor its answer exists. A call whose answer was lost
 * may have been applied, and the connection tries it again: the appender may have answered a request
 * meanwhile (deleting it), and putting it again would have it appended twice. A transaction is all or
 * nothing, so a failed condition means an earlier attempt put the whole batch.
 */
export class RequestWrites {
  private queue: Waiting[] = [];
  private answered: string[] = [];
  /** Set and cleared in the same turns as the loop's own checks, so nothing queued is left behind. */
  private flushing = false;
  private flushed: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly conn: ClusterConnection) {}

  /**
   * Resolves once the request `req/<id>` is in etcd; ClusterUnavailable when it cannot be put by
   * `deadline`. `bytes`: the value's weight, when the caller has weighed it already.
   */
  put(id: string, value: string, deadline: number, bytes = Buffer.byteLength(value)): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id, value, bytes, deadline, resolve, reject });
      this.kick();
    });
  }

  /** The answer `res/<id>` has been read: deleted with the next requests, or on its own shortly. */
  forget(id: string): void {
    this.answered.push(id);
    if (this.flushing || this.timer) return;
    this.timer = setTimeout(() => this.kick(), forgetAfterMs);
    this.timer.unref();
  }

  /** Writes what waits now (the node is stopping). */
  async drain(): Promise<void> {
    this.kick();
    await this.flushed;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return;
    this.flushing = true;
    this.flushed = this.flush();
  }

  private async flush(): Promise<void> {
    const kv = this.conn.kv;
    // The loop's last look at the queues and the flag's clearing happen in one turn (no await between).
    try {
      while (this.queue.length || this.answered.length) {
        const batch = takeBatch(this.queue, maxPuts, maxBytes);
        const deletes = this.answered.splice(0, maxDeletes).map((id) => kv.delete().key(resPrefix + id));
        const [first, ...rest] = batch;
        if (!first) {
          // A condition that always holds: the client builds a transaction only from one.
          await this.conn
            .call("forget answers", (opts) => kv.if(appenderKey, "Mod", ">", -1).then(...deletes).options(opts).commit(), 1000)
            .catch(() => undefined);
          continue;
        }
        const ms = Math.max(1, Math.min(...batch.map((w) => w.deadline)) - Date.now());
        try {
          await this.conn.call(
            batch.length === 1 ? "forward a command" : `forward ${batch.length} commands`,
            (opts) =>
              rest
                .reduce((t, w) => t.and(reqPrefix + w.id, "Create", "==", 0).and(resPrefix + w.id, "Create", "==", 0), kv.if(reqPrefix + first.id, "Create", "==", 0).and(resPrefix + first.id, "Create", "==", 0))
                .then(...batch.map((w) => kv.put(reqPrefix + w.id).value(w.value)), ...deletes)
                .else(...deletes)
                .options(opts)
                .commit(),
            ms,
          );
          for (const w of batch) w.resolve();
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
