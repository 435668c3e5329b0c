import * as C from "../domain/collection.js";
import type { Command } from "../domain/commands.js";
import type { ClusterCommand, ClusterEvent } from "../domain/cluster/events.js";
import { dnsPeers } from "../domain/cluster/dnsPeers.js";
import { overlayView } from "../domain/cluster/peers.js";
import { type ClusterState, endpointsOfNode, globalEndpoint, type GlobalNetwork } from "../domain/cluster/state.js";
import { askedVni, globalNetworkOf, vxlanIdOption } from "../domain/cluster/targets.js";
import { asNetledgerError, forbidden } from "../domain/errors.js";
import { endpointNames } from "../domain/dnsRecords.js";
import { findEndpoint, findSandbox } from "../domain/resolve.js";
import type { Controller } from "../controller/controller.js";
import type { GlobalScope } from "../controller/globalScope.js";
import type { CommandOptions, CommandResult } from "../controller/options.js";
import { ClusterLog } from "./clusterLog.js";
import { ClusterConnection, type ClusterOptions } from "./connection.js";
import { LatestWins } from "./latestWins.js";
import { Forwarding } from "./forwarding.js";
import { CopyWriter, readCopy } from "./copy.js";
import { createGlobalEndpoint, type Halves } from "./endpointHalves.js";
import { Membership, type MembershipOptions, type NodeView } from "./membership.js";
import { type ClusterStatus, statusOf } from "./status.js";

/**
 * A controller made a node of a cluster. Commands on global-scope networks are decided against the
 * cluster log first (the network's subnet, an endpoint's address and node), then mirrored into this
 * node's local log as ordinary commands with what the cluster decided pinned (the subnet, the address),
 * so this node's driver and plugin calls are effects in its own log, recovered like every other.
 *
 * A reconciler keeps the local log in step with the folded cluster state, after every fold and at
 * start: a global network this node lacks is created here (its plugin gets CreateNetwork); a local copy
 * of a global network the cluster deleted is deleted; a local endpoint of a global network that the
 * cluster no longer holds for this node (deleted, or reclaimed while the node was lost) is deleted here,
 * so its plugin gets DeleteEndpoint; an endpoint the cluster holds for this node that the local log
 * never made (a crash between the two appends) is deleted from the cluster.
 */
export class ClusterNode implements GlobalScope {
  readonly log: ClusterLog;
  readonly membership: Membership;
  /** Appends through the elected appender (a cluster-wide group commit). */
  readonly forwarding: Forwarding;
  /** Ids a command of this process is working on: the reconciler leaves them alone. */
  private readonly busy = new Set<string>();
  private reconciling: Promise<void> | null = null;
  private dirty: Dirty = { all: true, networks: new Set(), endpoints: new Set() };
  private again = false;
  private closed = false;
  /** Appends what this node folds to its SQLite copy. */
  copy: CopyWriter | undefined;
  /** The last reconcile's failure, for `cluster status` (a plugin that refused, the cluster away). */
  lastError: string | null = null;
  /** What a global endpoint's two halves need of this node (endpointHalves.ts). */
  private readonly halves: Halves;

  private constructor(
    readonly controller: Controller,
    o: ClusterOptions & MembershipOptions,
  ) {
    this.log = new ClusterLog(new ClusterConnection(o), o.snapshotEvery);
    this.membership = new Membership(this.log, o);
    this.forwarding = new Forwarding(this.log, () => this.membership.leaseId());
    this.halves = { controller, submit: (c, decided) => this.forwarding.submit(c, decided), addressOf: (id) => globalEndpoint(this.log.current, id)?.address };
  }

  get name(): string {
    return this.log.conn.o.node;
  }

  /** `cluster status` as this running node sees it (the daemon's `GET /cluster`). */
  status(): Promise<ClusterStatus> {
    return statusOf(this.log);
  }

  /** `node ls` as this running node sees it, with the lease times it noted (the daemon's `GET /nodes`). */
  nodes(): NodeView[] {
    return this.membership.view();
  }

  /** Folds the cluster log, takes this node's lease, attaches to the controller and reconciles. */
  static async start(controller: Controller, o: ClusterOptions & MembershipOptions): Promise<ClusterNode> {
    const node = new ClusterNode(controller, o);
    const copy = controller.store.cluster;
    node.copy = new CopyWriter(copy);
    const writer = node.copy;
    node.log.onFold((events) => writer.add(events));
    try {
      // Folded on from this node's own verified copy; a new node starts from the cluster's snapshot.
      await node.log.open({
        from: readCopy(copy),
        onSnapshot: (s, h) => {
          writer.snapshotBase(s, h);
          // Started again from a snapshot while running (etcd trimmed what it lacked): no event says
          // what changed, so everything is brought in step.
          node.dirty.all = true;
          if (controller.attachedScope !== node) return; // starting: it reconciles once started
          void node.projections.push(s);
          node.reconcileSoon();
        },
      });
      await node.membership.start();
      await node.forwarding.start();
    } catch (e) {
      await node.forwarding.stop();
      await node.log.close();
      node.log.conn.close();
      throw e;
    }
    controller.attachGlobalScope(node);
    node.log.onFold((events, s) => node.folded(events, s));
    await node.projections.push(node.log.current, true);
    await node.reconcile();
    // A sweep over everything now and then: what no event will touch again (an orphan whose fold came
    // while its command held it, say) is still brought in step. The sweep is in memory, cheap.
    node.sweeper = setInterval(() => void node.reconcile(true).catch(() => undefined), sweepEveryMs);
    node.sweeper.unref();
    return node;
  }

  /**
   * The overlay driver's peer table (libnetwork's was a gossip table) and the DNS server's records of
   * endpoints on other nodes are projections of the cluster state, handed over whole (the driver syncs
   * its VXLAN devices to it). Each costs time in the size of the state, so the latest state is handed
   * over at most every `projectEveryMs`, not after every fold.
   */
  private readonly projections = new LatestWins<ClusterState>(
    (s) =>
      Promise.all([
        this.controller.overlayPeers?.update(overlayView(s, this.name, this.log.conn.o.advertiseAddr)).catch((e: unknown) => {
          this.lastError = `overlay peers: ${asNetledgerError(e).message}`;
        }),
        this.controller.clusterDns?.peers((networks) => dnsPeers(s, this.name, networks)).catch(() => undefined),
      ]).then(() => undefined),
    projectEveryMs,
  );

  private folded(events: ClusterEvent[], s: ClusterState): void {
    void this.projections.push(s);
    for (const e of events) {
      if (e.type === "global.network.created" || e.type === "global.network.deleted") this.dirty.networks.add(e.data.id);
      // An endpoint made for another node has nothing here to bring in step (ids are never reused):
      // no reconcile per append of every other node of the cluster.
      else if (e.type === "global.endpoint.deleted" || (e.type === "global.endpoint.created" && e.data.node === this.name)) this.dirty.endpoints.add(e.data.id);
      else if (e.type === "global.node.lost" && e.data.name === this.name) this.dirty.all = true;
    }
    // Lost while running (its lease expired in a partition): it is back, so it says so.
    if (s.nodes[this.name]?.state === "lost" && events.some((e) => e.type === "global.node.lost"))
      void this.membership.join().catch(() => undefined);
    if (this.dirty.all || this.dirty.networks.size > 0 || this.dirty.endpoints.size > 0) this.reconcileSoon();
  }

  /** A reconcile after this turn: a fold is often an append's answer, and its caller goes on first. */
  private reconcileSoon(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    setImmediate(() => {
      this.reconcileQueued = false;
      void this.reconcile().catch(() => undefined);
    });
  }
  private reconcileQueued = false;

  // ---------------------------------------------------------------- commands of global scope

  async route(cmd: Command, opts: CommandOptions): Promise<CommandResult | undefined> {
    const local = this.controller.current();
    switch (cmd.type) {
      case "network.create": {
        if (this.controller.registry.info()[cmd.driver]?.scope !== "global") return undefined;
        if (cmd.ipam.driver && cmd.ipam.driver !== "default")
          throw forbidden(`a global network takes its addresses from the cluster: drop --ipam-driver ${cmd.ipam.driver}`);
        const subnet = cmd.ipam.config[0]?.subnet;
        const vni = cmd.driver === "overlay" ? askedVni(cmd.options) : undefined;
        await this.submit({
          type: "global.network.create",
          id: cmd.id,
          name: cmd.name,
          driver: cmd.driver,
          labels: cmd.labels,
          options: cmd.options,
          internal: cmd.internal,
          ...(subnet ? { subnet } : {}),
          ...(vni !== undefined ? { vni } : {}),
        });
        const gn = this.log.current.networks[cmd.id]!;
        return this.withBusy(cmd.id, async () => {
          try {
            return await this.mirrorNetwork(gn, cmd, opts);
          } catch (err) {
            // Not made here (the plugin refused CreateNetwork): not made anywhere, as libnetwork undoes a
            // failed create; the local record of the failure goes too (a failed network is deleted as one).
            const local = C.get(this.controller.current().networks, cmd.id);
            if (!local || local.lifecycle === "failed") {
              await this.submit({ type: "global.network.delete", network: cmd.id }).catch(() => undefined);
              if (local) await this.controller.run({ type: "network.delete", network: cmd.id, force: true }, { mirror: true }).catch(() => undefined);
            }
            throw err;
          }
        }, "networks");
      }
      case "network.delete": {
        const n = globalNetworkOf(local, cmd.network);
        if (!n) return undefined;
        await this.submit({ type: "global.network.delete", network: n.id });
        return this.withBusy(n.id, () => this.controller.run({ ...cmd, network: n.id }, { ...opts, mirror: true }), "networks");
      }
      case "endpoint.create":
      case "network.connect": {
        const n = globalNetworkOf(local, cmd.network);
        if (!n) return undefined;
        return this.withBusy(cmd.id, async () => {
          // Its DNS names travel with it, so the other nodes answer for it (a connect's are its sandbox's too).
          const sb = cmd.type === "network.connect" ? findSandbox(local, cmd.sandbox) : undefined;
          const names = cmd.type === "endpoint.create" ? endpointNames(cmd, undefined) : sb ? endpointNames({ name: sb.containerId, aliases: cmd.aliases }, sb) : [];
          const global: ClusterCommand = { type: "global.endpoint.create", id: cmd.id, name: cmd.type === "endpoint.create" ? cmd.name : cmd.id.slice(0, 12), network: n.id, node: this.name, ...(cmd.ip ? { address: cmd.ip } : {}), ...(names.length > 0 ? { names } : {}) };
          return createGlobalEndpoint(this.halves, cmd, n.id, global, opts);
        }, "endpoints");
      }
      case "endpoint.delete":
      case "network.disconnect": {
        const n = globalNetworkOf(local, cmd.network);
        if (!n) return undefined;
        const epId = cmd.type === "endpoint.delete" ? (findEndpoint(local, n, cmd.endpoint)?.id ?? cmd.endpoint) : undefined;
        // Busy while both halves run: between them the reconciler would see an endpoint the cluster
        // holds for this node and this node lacks, release it itself, and this release find it gone.
        const both = async () => {
          const r = await this.controller.run(cmd, { ...opts, mirror: true });
          // The local half first: an endpoint whose plugin refused DeleteEndpoint keeps its address.
          const gone = epId ?? r.entity?.id;
          if (!gone) return r;
          try {
            if (globalEndpoint(this.log.current, gone)) await this.submit({ type: "global.endpoint.delete", endpoint: gone });
          } catch (e) {
            // Released already (a repeated request, an append in doubt that landed): what was asked holds.
            if (asNetledgerError(e).code !== "NotFound") throw e;
          } finally {
            this.dirty.endpoints.add(gone); // if the release failed, the reconciler makes it later
          }
          return r;
        };
        return epId ? this.withBusy(epId, both, "endpoints") : both();
      }
      default:
        return undefined;
    }
  }

  private async submit(c: ClusterCommand) {
    return this.forwarding.submit(c);
  }

  /**
   * Runs a command's two halves with the reconciler kept off `id`; afterwards the id is looked at again,
   * since what the reconciler skipped meanwhile (or a half that failed) may need its work.
   */
  private async withBusy<T>(id: string, f: () => Promise<T>, kind: "networks" | "endpoints"): Promise<T> {
    this.busy.add(id);
    try {
      return await f();
    } finally {
      this.busy.delete(id);
      this.dirty[kind].add(id);
      this.reconcileSoon();
    }
  }

  /** The local copy of a global network, with the subnet the cluster chose pinned. */
  private mirrorNetwork(gn: GlobalNetwork, cmd?: Extract<Command, { type: "network.create" }>, opts: CommandOptions = {}): Promise<CommandResult> {
    return this.controller.run(
      {
        type: "network.create",
        id: gn.id,
        name: gn.name,
        driver: gn.driver,
        ipam: { driver: "default", config: [{ subnet: gn.subnet, gateway: gn.gateway }], options: {} },
        labels: gn.labels,
        // The options and --internal as the creating node was given them; the VXLAN id the cluster chose.
        options: { ...(gn.options ?? cmd?.options ?? {}), ...(gn.vni !== undefined ? { [vxlanIdOption]: String(gn.vni) } : {}) },
        internal: gn.internal ?? cmd?.internal ?? false,
      },
      { ...opts, requestId: opts.requestId ?? `cluster-network-${gn.id}`, mirror: true },
    );
  }

  // ---------------------------------------------------------------- the reconciler

  /** Brings the local log in step with the cluster state; runs one at a time, again if asked meanwhile. */
  reconcile(all = false): Promise<void> {
    if (all) this.dirty.all = true;
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        const dirty = this.dirty;
        this.dirty = { all: false, networks: new Set(), endpoints: new Set() };
        await this.reconcileOnce(dirty);
      } while (this.again && !this.closed);
    })().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  /** Looks at what the folded events touched (or at everything, at start and after this node was lost). */
  private async reconcileOnce(dirty: Dirty): Promise<void> {
    if (this.closed) return;
    const g = this.log.current;
    const errors: string[] = [];
    const attempt = async (what: string, kind: "networks" | "endpoints", id: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        errors.push(`${what}: ${asNetledgerError(e).message}`);
        // Nothing else would bring this id back (no event may touch it again): looked at again shortly.
        this.dirty[kind].add(id);
        this.retrySoon();
      }
    };
    let local = this.controller.current();
    const networks = dirty.all
      ? new Set([...Object.keys(g.networks), ...[...C.values(local.networks)].filter((n) => n.scope === "global").map((n) => n.id)])
      : dirty.networks;
    const gone: string[] = [];
    // Each id is judged on the states as they are now, not as the loop found them: an attempt before
    // it may have waited seconds (the cluster slow), while a command made and released this very id.
    for (const id of networks) {
      if (this.busy.has(id)) continue;
      const gn = this.log.current.networks[id];
      const ln = C.get(this.controller.current().networks, id);
      if (gn && !ln) await attempt(`create network ${gn.name}`, "networks", id, () => this.mirrorNetwork(gn));
      else if (!gn && ln && ln.scope === "global") gone.push(id);
    }
    local = this.controller.current();
    const endpoints = dirty.all
      ? new Set([...endpointsOfNode(g, this.name), ...[...C.values(local.endpoints)].filter((e) => C.get(local.networks, e.network)?.scope === "global").map((e) => e.id)])
      : dirty.endpoints;
    for (const id of endpoints) {
      if (this.busy.has(id)) continue;
      const ge = globalEndpoint(this.log.current, id);
      const now = this.controller.current();
      const le = C.get(now.endpoints, id);
      const mine = ge !== undefined && ge.node === this.name;
      if (le && !mine && C.get(now.networks, le.network)?.scope === "global")
        // Deleted in the cluster, or reclaimed while this node was lost: undone here, through its own events.
        await attempt(`delete endpoint ${id.slice(0, 12)}`, "endpoints", id, () =>
          this.controller.run({ type: "endpoint.delete", network: le.network, endpoint: id, force: true }, { requestId: `cluster-reclaim-${id}`, mirror: true }),
        );
      else if (mine && !le)
        // In the cluster for this node but never made here (a crash between the two appends): released.
        await attempt(`release orphan endpoint ${id.slice(0, 12)}`, "endpoints", id, () => this.submit({ type: "global.endpoint.delete", endpoint: id }));
    }
    for (const id of gone.filter((id) => !this.busy.has(id) && !this.log.current.networks[id]))
      await attempt(`delete network ${id.slice(0, 12)}`, "networks", id, () => this.controller.run({ type: "network.delete", network: id, force: true }, { mirror: true }));
    this.lastError = errors.length ? errors.join("; ") : null;
  }

  private retryTimer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  /** A reconcile a second from now, for the work that failed (the cluster away, a plugin down). */
  private retrySoon(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reconcile().catch(() => undefined);
    }, 1000);
    this.retryTimer.unref();
  }

  /** Stops following the cluster. The lease is left to expire (see Membership.stop). */
  async close(opts: { revoke?: boolean } = {}): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.sweeper);
    this.controller.attachGlobalScope(undefined);
    await this.forwarding.stop();
    await this.membership.stop(opts.revoke ?? false);
    await this.reconciling?.catch(() => undefined);
    await this.projections.stop();
    await this.log.close();
    this.copy?.close();
    this.log.conn.close();
  }
}

const sweepEveryMs = 10_000;
/** Under a stream of appends a run every 20 ms took 8% of each node's thread (1.6 ms a run at 3,000 endpoints). */
const projectEveryMs = 100;

/** What the folds since the last reconcile touched. */
interface Dirty {
  all: boolean;
  networks: Set<string>;
  endpoints: Set<string>;
}
