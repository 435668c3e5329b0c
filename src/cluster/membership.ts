import type { Lease } from "etcd3";
import type { ClusterState } from "../domain/cluster/state.js";
import { asNetledgerError } from "../domain/errors.js";
import type { ClusterLog } from "./clusterLog.js";
import { nodePrefix } from "./records.js";

export interface MembershipOptions {
  /** --node-ttl, ms: the lease a running node holds. */
  ttlMs: number;
  /** --reclaim-after, ms: how long a lease must have been gone, with the cluster answering, before its node is lost. */
  reclaimAfterMs: number;
  /** How often the leases are looked at (default 1 s). */
  checkEveryMs?: number;
}

/** A node as `node ls` shows it (docs/interface.md). */
export interface NodeView {
  name: string;
  address: string;
  state: "alive" | "lost";
  /** When this node last saw the node's lease, ISO 8601 (null: never seen by this process). */
  lastSeen: string | null;
  endpoints: number;
}

/**
 * A node's lease and the reclaim of others'. A running node holds an etcd lease (--node-ttl) on the key
 * `nodes/<name>`, kept alive by the client. Every node looks at those keys each second; a member of the
 * cluster log whose key has been absent for --reclaim-after is recorded lost, and its endpoints removed
 * and their addresses released, in one decision (libnetwork left them in its store forever, #786).
 * Only time the cluster answered counts: a failed read forgets every absence, so an etcd outage never
 * makes a live node lost (etcd also renews every lease when a new leader is elected).
 */
export class Membership {
  private lease: Lease | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly absentSince = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  private stopped = false;
  private checking = false;

  constructor(
    private readonly log: ClusterLog,
    private readonly o: MembershipOptions,
  ) {}

  private get name(): string {
    return this.log.conn.o.node;
  }

  /** Takes the lease, records the node as a member (again, after it was lost), and starts watching the others. */
  async start(): Promise<void> {
    await this.takeLease();
    await this.join();
    this.timer = setInterval(() => void this.check(), this.o.checkEveryMs ?? 1000);
    this.timer.unref();
  }

  private async takeLease(): Promise<void> {
    const conn = this.log.conn;
    const lease = conn.kv.lease(Math.max(1, Math.ceil(this.o.ttlMs / 1000)));
    lease.on("lost", () => {
      // A lease that failed before it was this node's (its grant met no member) says so too: only the
      // current one is taken again. Each failed one used to start a loop of its own, and every loop's
      // next try failed the same way: with the only member it could reach down, a node doubled its
      // loops until it ran out of memory.
      if (this.lease !== lease) return void lease.release();
      // Expired or revoked behind the client's back (an outage longer than the TTL): take a new one.
      if (this.stopped) return;
      this.lease = null;
      void this.retakeLease();
    });
    try {
      await conn.call("take the node lease", (opts) => lease.put(nodePrefix + this.name).value(JSON.stringify({ address: conn.o.advertiseAddr })).options(opts).exec());
    } catch (e) {
      lease.release(); // no keep-alive for a lease that is not this node's
      throw e;
    }
    this.lease = lease;
  }

  /** Takes a new lease until one holds; one loop at a time. */
  private async retakeLease(): Promise<void> {
    if (this.retaking) return;
    this.retaking = true;
    try {
      while (!this.stopped && !this.lease) {
        try {
          await this.takeLease();
          await this.join();
        } catch {
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } finally {
      this.retaking = false;
    }
  }
  private retaking = false;

  /** This node's lease id (for keys that go with it), or null while it has none. */
  async leaseId(): Promise<string | null> {
    return this.lease ? this.lease.grant() : null;
  }

  /** Records this node alive in the cluster log (nothing when it already is, at this address). */
  async join(): Promise<void> {
    await this.log.submit({ type: "global.node.join", name: this.name, address: this.log.conn.o.advertiseAddr });
  }

  /** Lease keys present now, or null when the cluster did not answer. */
  private async holders(): Promise<Set<string> | null> {
    try {
      const keys = await this.log.conn.call("read the node leases", (opts) => this.log.conn.kv.getAll().prefix(nodePrefix).options(opts).keys());
      return new Set(keys.map((k) => k.slice(k.lastIndexOf("/") + 1)));
    } catch {
      return null;
    }
  }

  /** One look at the leases: counts absences, and records lost the nodes absent for --reclaim-after. */
  async check(now = Date.now()): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const present = await this.holders();
      if (!present) {
        this.absentSince.clear();
        return;
      }
      const s = this.log.current;
      for (const n of present) this.lastSeen.set(n, now);
      for (const node of Object.values(s.nodes)) {
        if (node.state !== "alive" || present.has(node.name)) {
          this.absentSince.delete(node.name);
          continue;
        }
        if (node.name === this.name) continue; // this node's own lease is being retaken
        const since = this.absentSince.get(node.name) ?? now;
        this.absentSince.set(node.name, since);
        if (now - since >= this.o.reclaimAfterMs) {
          await this.log.submit({ type: "global.node.lose", name: node.name, by: this.name, removed: false }).catch(() => undefined);
          this.absentSince.delete(node.name);
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /** `node rm NAME`: records the node lost and removed now; refused while it holds a lease (it is running). */
  async remove(name: string): Promise<void> {
    const present = await this.holders();
    if (!present) throw asNetledgerError(new Error("cannot read the node leases"), "ClusterUnavailable");
    if (present.has(name))
      throw asNetledgerError(new Error(`node ${name} holds a lease: it is running; stop it first, or wait until it is lost`), "Forbidden");
    await this.log.submit({ type: "global.node.lose", name, by: this.name, removed: true });
  }

  view(s: ClusterState = this.log.current): NodeView[] {
    return Object.values(s.nodes)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((n) => {
        const seen = this.lastSeen.get(n.name);
        return { name: n.name, address: n.address, state: n.state, lastSeen: seen ? new Date(seen).toISOString() : null, endpoints: s.nodeEndpoints[n.name]?.size ?? 0 };
      });
  }

  /**
   * Stops keeping the lease alive. It is not revoked: a node stopped for a restart keeps its endpoints
   * if it is back within TTL + --reclaim-after; `revoke` ends it at once (a test's way to be gone).
   */
  async stop(revoke = false): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const lease = this.lease;
    this.lease = null;
    if (!lease) return;
    if (revoke) await lease.revoke(this.log.conn.deadline()).catch(() => undefined);
    else lease.release();
  }
}
