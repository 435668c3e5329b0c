import * as C from "../domain/collection.js";
import type { ClusterEvent } from "../domain/cluster/events.js";
import { type ClusterState, endpointsOfNode, globalEndpoint, type GlobalNetwork } from "../domain/cluster/state.js";
import { asNetledgerError } from "../domain/errors.js";
import type { Controller } from "../controller/controller.js";

/** What the reconciler needs of its node (src/cluster/node.ts). */
export interface ReconcileTarget {
  readonly controller: Controller;
  readonly name: string;
  /** The cluster state as this node has folded it now. */
  cluster(): ClusterState;
  /** Ids a command of this process is working on: the reconciler leaves them alone. */
  readonly busy: ReadonlySet<string>;
  /** Makes the local copy of a global network (again, when an earlier one failed). */
  mirrorNetwork(gn: GlobalNetwork): Promise<unknown>;
  /** Releases an endpoint in the cluster. */
  release(endpoint: string): Promise<unknown>;
  /** Told after each pass what still fails (null: everything is in step); it tells the operator of changes only. */
  problem(text: string | null): void;
}

type Kind = "networks" | "endpoints";

/** What the folds since the last pass touched. */
interface Dirty {
  all: boolean;
  networks: Set<string>;
  endpoints: Set<string>;
}

const sweepEveryMs = 10_000;
const retryAfterMs = 1000;

/**
 * Keeps the local log in step with the folded cluster state, after every fold and at start: a global
 * network this node lacks is created here (its plugin gets CreateNetwork); a local copy of a global
 * network the cluster deleted is deleted; a local endpoint of a global network that the cluster no
 * longer holds for this node (deleted, or reclaimed while the node was lost) is deleted here, so its
 * plugin gets DeleteEndpoint; an endpoint the cluster holds for this node that the local log never made
 * (a crash between the two appends) is deleted from the cluster. What fails is tried again a second later.
 */
export class Reconciler {
  private dirty: Dirty = { all: true, networks: new Set(), endpoints: new Set() };
  private running: Promise<void> | null = null;
  private again = false;
  private queued = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  /** What failed for each id, until a pass finds it in step or its work done. */
  private readonly failing = new Map<string, string>();

  constructor(private readonly t: ReconcileTarget) {}

  /** Busy ids whose folds were left out (other than their own create's): looked at when let go. */
  private readonly skipped = new Set<string>();

  /**
   * A command of this process lets go of `id`: a pass looks at it when the command failed (it may
   * have left one half) or a fold came for it meanwhile. One that succeeded left both halves in step.
   */
  letGo(kind: Kind, id: string, ok: boolean): void {
    const skipped = this.skipped.delete(id);
    if (ok && !skipped) return;
    this.touch(kind, id);
    this.soon();
  }

  /** Marks an id to be looked at by the next pass. */
  touch(kind: Kind, id: string): void {
    this.dirty[kind].add(id);
  }

  /** The next pass looks at everything (after a snapshot, or when this node was lost). */
  touchAll(): void {
    this.dirty.all = true;
  }

  /**
   * Marks what folded events touched, and runs a pass after this turn if any. An id a command of this
   * process holds is left out: a pass now would only skip it. It is looked at when the command lets go
   * (`letGo`), if the command failed or an event other than its own create came for it meanwhile.
   */
  folded(events: readonly ClusterEvent[]): void {
    const { busy } = this.t;
    for (const e of events) {
      if (e.type === "global.node.lost" && e.data.name === this.t.name) this.dirty.all = true;
      else if ("id" in e.data && busy.has(e.data.id)) {
        // Its own create's fold is the command's outcome; anything else is looked at when it lets go.
        if (e.type !== "global.endpoint.created" && e.type !== "global.network.created") this.skipped.add(e.data.id);
        continue;
      }
      else if (e.type === "global.network.created" || e.type === "global.network.deleted") this.dirty.networks.add(e.data.id);
      // An endpoint made for another node has nothing here to bring in step (ids are never reused):
      // no pass per append of every other node of the cluster.
      else if (e.type === "global.endpoint.deleted" || (e.type === "global.endpoint.created" && e.data.node === this.t.name)) this.dirty.endpoints.add(e.data.id);
    }
    if (this.dirty.all || this.dirty.networks.size > 0 || this.dirty.endpoints.size > 0) this.soon();
  }

  /** A pass after this turn: a fold is often an append's answer, and its caller goes on first. */
  soon(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      void this.run().catch(() => undefined);
    });
  }

  /** Runs passes one at a time, again if asked meanwhile; `all` looks at everything. */
  run(all = false): Promise<void> {
    if (all) this.dirty.all = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const dirty = this.dirty;
        this.dirty = { all: false, networks: new Set(), endpoints: new Set() };
        await this.pass(dirty);
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** A sweep over everything now and then: what no event will touch again (an orphan whose fold came while its command held it, say). In memory, cheap. */
  startSweeping(): void {
    this.sweeper = setInterval(() => void this.run(true).catch(() => undefined), sweepEveryMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.sweeper);
    await this.running?.catch(() => undefined);
  }

  /** Looks at what the folded events touched (or at everything, at start and after this node was lost). */
  private async pass(dirty: Dirty): Promise<void> {
    if (this.closed) return;
    const { controller, busy } = this.t;
    const g = this.t.cluster();
    const attempt = async (what: string, kind: Kind, id: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        this.failing.set(id, `${what}: ${asNetledgerError(e).message}`);
        // Nothing else would bring this id back (no event may touch it again): looked at again shortly.
        this.dirty[kind].add(id);
        this.retrySoon();
      }
    };
    let local = controller.current();
    const networks = dirty.all
      ? new Set([...Object.keys(g.networks), ...[...C.values(local.networks)].filter((n) => n.scope === "global").map((n) => n.id)])
      : dirty.networks;
    const gone: string[] = [];
    // Each id is judged on the states as they are now, not as the loop found them: an attempt before
    // it may have waited seconds (the cluster slow), while a command made and released this very id.
    for (const id of networks) {
      if (busy.has(id)) continue;
      this.failing.delete(id);
      const gn = this.t.cluster().networks[id];
      const ln = C.get(controller.current().networks, id);
      // A copy whose CreateNetwork failed is made again: the plugin may take it now.
      if (gn && (!ln || ln.lifecycle === "failed")) await attempt(`create network ${gn.name}`, "networks", id, () => this.t.mirrorNetwork(gn));
      else if (!gn && ln && ln.scope === "global") gone.push(id);
    }
    local = controller.current();
    const endpoints = dirty.all
      ? new Set([...endpointsOfNode(g, this.t.name), ...[...C.values(local.endpoints)].filter((e) => C.get(local.networks, e.network)?.scope === "global").map((e) => e.id)])
      : dirty.endpoints;
    for (const id of endpoints) {
      if (busy.has(id)) continue;
      this.failing.delete(id);
      const ge = globalEndpoint(this.t.cluster(), id);
      const now = controller.current();
      const le = C.get(now.endpoints, id);
      const mine = ge !== undefined && ge.node === this.t.name;
      if (le && !mine && C.get(now.networks, le.network)?.scope === "global")
        // Deleted in the cluster, or reclaimed while this node was lost: undone here, through its own events.
        await attempt(`delete endpoint ${id.slice(0, 12)}`, "endpoints", id, () =>
          controller.run({ type: "endpoint.delete", network: le.network, endpoint: id, force: true }, { requestId: `cluster-reclaim-${id}`, mirror: true }),
        );
      else if (mine && !le)
        // In the cluster for this node but never made here (a crash between the two appends): released.
        await attempt(`release orphan endpoint ${id.slice(0, 12)}`, "endpoints", id, () => this.t.release(id));
    }
    for (const id of gone.filter((id) => !busy.has(id) && !this.t.cluster().networks[id]))
      await attempt(`delete network ${id.slice(0, 12)}`, "networks", id, () => controller.run({ type: "network.delete", network: id, force: true }, { mirror: true }));
    // Told after every pass: the node says so only when it changes.
    this.t.problem(this.failing.size > 0 ? [...this.failing.values()].join("; ") : null);
  }

  /** A pass a second from now, for the work that failed (the cluster away, a plugin down). */
  private retrySoon(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.run().catch(() => undefined);
    }, retryAfterMs);
    this.retryTimer.unref();
  }
}
