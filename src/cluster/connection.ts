import { Etcd3, type Namespace } from "etcd3";
import { NetledgerError } from "../domain/errors.js";

/**
 * The etcd client of one node: the `etcd3` package (gRPC) over the members named by --cluster, every
 * call bounded by --cluster-timeout. The client has no deadline of its own and etcd gives up only after
 * about 7 s, so each call carries one; its default fault handling (three retries across members, a
 * circuit breaker per member) stays, and `call` splits its budget into attempts (see there).
 */
export interface ClusterOptions {
  /** Client URLs of the members (`http://127.0.0.1:2379`). */
  endpoints: string[];
  /** This node's name (--node). */
  node: string;
  /** The address other nodes reach this one at (--advertise-addr). */
  advertiseAddr: string;
  /** --cluster-timeout, ms. */
  timeoutMs: number;
  /** The key prefix of this cluster's data (default `/netledger/v1/`). */
  prefix?: string;
  /** Append through the elected appender (default true; false: each node appends for itself, for comparison). */
  forward?: boolean;
}

export const defaultPrefix = "/netledger/v1/";

export class ClusterConnection {
  readonly client: Etcd3;
  readonly kv: Namespace;

  constructor(readonly o: ClusterOptions) {
    if (o.endpoints.length === 0) throw new NetledgerError("InvalidParameter", "--cluster names no etcd member");
    for (const url of o.endpoints)
      if (!/^https?:\/\/[^/\s]+\/?$/.test(url))
        throw new NetledgerError("InvalidParameter", `--cluster: "${url}" is not an etcd client URL like http://127.0.0.1:2379`);
    this.client = new Etcd3({ hosts: o.endpoints, dialTimeout: o.timeoutMs });
    this.kv = this.client.namespace(o.prefix ?? defaultPrefix);
  }

  /** Call options for one call: an absolute deadline, shared by the client's retries. */
  deadline(ms = this.o.timeoutMs): { deadline: number } {
    return { deadline: Date.now() + ms };
  }

  /**
   * Runs an etcd call under --cluster-timeout; any failure to get an answer is ClusterUnavailable.
   * A second bound besides the gRPC deadline: a call queued behind a reconnect must not outlive it.
   */
  async call<T>(what: string, f: (opts: { deadline: number }) => Promise<T>, ms = this.o.timeoutMs): Promise<T> {
    // The budget is spent in up to three attempts, each on a member the client picks afresh: a member
    // just killed, or restarted and not yet in the cluster, can hold a call until its deadline, and the
    // client's own retries share that one deadline. Every call here is a read, an idempotent put, or a
    // transaction under conditions that fail if it already applied (an append in doubt is settled by
    // ClusterLog). A watch (f takes no options) gets one attempt: a second could leave the first open.
    const end = Date.now() + ms;
    const slice = f.length === 0 ? ms : Math.max(500, Math.ceil(ms / 3));
    for (;;) {
      const left = end - Date.now();
      try {
        return await this.attempt(what, f, Math.min(slice, Math.max(1, left)));
      } catch (e) {
        if (e instanceof NetledgerError && e.code !== "ClusterUnavailable") throw e;
        if (end - Date.now() < 100) throw e;
      }
    }
  }

  private async attempt<T>(what: string, f: (opts: { deadline: number }) => Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(what, `no answer within ${ms} ms`)), ms + 50);
    });
    try {
      return await Promise.race([f(this.deadline(ms)), bound]);
    } catch (e) {
      throw e instanceof NetledgerError ? e : unavailable(what, e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.client.close();
  }
}

export function unavailable(what: string, why: string, details: Record<string, unknown> = {}): NetledgerError {
  return new NetledgerError(
    "ClusterUnavailable",
    `the etcd cluster did not answer (${what}): ${why}; global-scope commands wait for a quorum of members, local ones go on`,
    details,
  );
}
