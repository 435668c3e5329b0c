import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, isBrokenCircuitError, retry } from "cockatiel";
import { Etcd3, isRecoverableError, type Namespace } from "etcd3";
import { NetledgerError } from "../domain/errors.js";

/**
 * The etcd client of one node: the `etcd3` package (gRPC) over the members named by --cluster, every
 * call bounded by --cluster-timeout. The client has no deadline of its own and etcd gives up only after
 * about 7 s, so each call carries one, and `call` splits its budget into attempts (see there).
 *
 * Fault handling is the client's (three tries across members, a circuit breaker per member) with
 * shorter pauses: its defaults keep a member's breaker open for 5 s and let a watch and a gRPC channel
 * back off up to 30 s and 120 s. After a leader change, calls to live members can fail too and open
 * their breakers, so every call failed for 5 s; and a member back from an outage was not tried again
 * for longer than any --cluster-timeout. Here a breaker opens for at most a second, a watch retries
 * within a second, and a channel reconnects within one. A refusal (`refusal`) is an answer: it is
 * neither tried again nor held against the member, which answers reads as before.
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
  /** Events between snapshots of the global part (tests make it small; left out, it follows the state's size: ClusterLog). */
  snapshotEvery?: number;
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
    this.client = new Etcd3({
      hosts: o.endpoints,
      dialTimeout: o.timeoutMs,
      grpcOptions: { "grpc.initial_reconnect_backoff_ms": 100, "grpc.max_reconnect_backoff_ms": 1000 },
      faultHandling: {
        host: () => circuitBreaker(handleWhen(recoverable), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
        global: retry(handleWhen(recoverable), { maxAttempts: 3 }),
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }).next(),
      },
    });
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
        if (isAnswer(e)) throw e;
        if (end - Date.now() < 100) throw e;
        // Every breaker open fails at once: pause rather than spin through the budget.
        await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now() - 50)));
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
      if (e instanceof NetledgerError) throw e;
      const refused = refusal(what, e);
      if (refused) throw refused;
      throw unavailable(what, isBrokenCircuitError(e) ? "no member answered its last calls" : e instanceof Error ? e.message : String(e));
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

/**
 * etcd's answers that refuse a call, as opposed to failing to answer one: another try, or another
 * member, gets the same answer until an operator acts, so the caller is told at once and what to do.
 * The client counts etcd's "database space exceeded" (gRPC RESOURCE_EXHAUSTED) as a failure of the
 * member, which opened its breaker, and reads failed with the writes; etcd still serves reads then.
 */
export function refusal(what: string, e: unknown): NetledgerError | null {
  const m = e instanceof Error ? e.message : String(e);
  if (m.includes("database space exceeded"))
    return new NetledgerError(
      "Exhausted",
      `the etcd cluster refused a write (${what}): its database is past its space quota (--quota-backend-bytes); etcd takes no write ` +
        `until an operator compacts and defragments it and disarms its NOSPACE alarm (etcdctl alarm disarm); reads and local-scope commands go on`,
    );
  if (m.includes("request is too large"))
    return new NetledgerError("InvalidParameter", `the etcd cluster refused (${what}): the request is larger than etcd takes (its --max-request-bytes, 1.5 MiB by default)`);
  if (m.includes("too many operations in txn request"))
    return new NetledgerError("InvalidParameter", `the etcd cluster refused (${what}): the transaction has more operations than etcd takes (its --max-txn-ops, 128 by default)`);
  if (m.includes("permission denied") || m.includes("user name is empty") || m.includes("invalid auth token"))
    return new NetledgerError("Forbidden", `the etcd cluster refused (${what}): ${m}; netledger does not log in to etcd, so etcd's authentication must be off`);
  return null;
}

/**
 * An answer rather than a failure to get one (a refusal, or what the caller's own code threw): trying
 * again meets the same, and a write it ended did not apply.
 */
export const isAnswer = (e: unknown): e is NetledgerError => e instanceof NetledgerError && e.code !== "ClusterUnavailable";

const recoverable = (e: Error): boolean => isRecoverableError(e) && refusal("", e) === null;
