import { randomBytes } from "node:crypto";
import * as C from "../domain/collection.js";
import type { Command } from "../domain/commands.js";
import type { ClusterCommand, ClusterEvent } from "../domain/cluster/events.js";
import { dnsPeers } from "../domain/cluster/dnsPeers.js";
import { overlayView } from "../domain/cluster/peers.js";
import { type ClusterState, globalEndpoint, type GlobalNetwork } from "../domain/cluster/state.js";
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
import { Reconciler } from "./reconciler.js";
import { type ClusterStatus, statusOf } from "./status.js";

/**
 * A controller made a node of a cluster. Commands on global-scope networks are decided against the
 * cluster log first (the network's subnet, an endpoint's address and node), then mirrored into this
 * node's local log as ordinary commands with what the cluster decided pinned (the subnet, the address),
 * so this node's driver and plugin calls are effects in its own log, recovered like every other. A
 * reconciler (reconciler.ts) keeps the local log in step with the folded cluster state.
 */
export class ClusterNode implements GlobalScope {
  readonly log: ClusterLog;
  readonly membership: Membership;
  /** Appends through the elected appender (a cluster-wide group commit). */
  readonly forwarding: Forwarding;
  /** Ids a command of this process is working on: the reconciler leaves them alone. */
  private readonly busy = new Set<string>();
  private readonly reconciler: Reconciler;
  /** Appends what this node folds to its SQLite copy. */
  copy: CopyWriter | undefined;
  /** What a global endpoint's two halves need of this node (endpointHalves.ts). */
  private readonly halves: Halves;
  /** What this node cannot do now, by where it arose: a reconcile that failed, the overlay's peers, the SQLite copy. */
  private readonly troubles = new Map<string, string>();

  private constructor(
    readonly controller: Controller,
    private readonly o: NodeOptions,
  ) {
    this.log = new ClusterLog(new ClusterConnection(o), o.snapshotEvery);
    this.membership = new Membership(this.log, o);
    this.forwarding = new Forwarding(this.log, () => this.membership.leaseId());
    this.halves = { controller, submit: (c, decided) => this.forwarding.submit(c, decided), addressOf: (id) => globalEndpoint(this.log.current, id)?.address };
    this.reconciler = new Reconciler({
      controller,
      name: o.node,
      cluster: () => this.log.current,
      busy: this.busy,
      mirrorNetwork: async (gn) => {
        // A failed copy goes first; each try has a request id of its own, so that one after a refusal
        // is made again, not answered as a repeat with the refusal.
        await this.dropFailedCopy(gn.id);
        return this.mirrorNetwork(gn, undefined, { requestId: `cluster-network-${gn.id}-${randomBytes(4).toString("hex")}` });
      },
      release: (endpoint) => this.submit({ type: "global.endpoint.delete", endpoint }),
      problem: (text) => this.trouble("reconcile", text),
    });
  }

  /** What this node cannot do now (a plugin that refuses, the cluster away): each line says what and why. */
  problems(): string[] {
    return [...this.troubles].map(([where, text]) => `${where}: ${text}`);
  }

  /** Notes a problem of `where` (null: gone), and tells the operator when it arises, changes or goes. */
  private trouble(where: string, text: string | null): void {
    const was = this.troubles.get(where) ?? null;
    if (text === was) return;
    if (text === null) this.troubles.delete(where);
    else this.troubles.set(where, text);
    this.o.report?.(text === null ? `cluster node ${this.name}: ${where}: in step again` : `cluster node ${this.name}: ${where}: ${text}`);
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
  static async start(controller: Controller, o: NodeOptions): Promise<ClusterNode> {
    const node = new ClusterNode(controller, o);
    const copy = controller.store.cluster;
    node.copy = new CopyWriter(copy, (text) => node.trouble("copy of the cluster log", text));
    node.log.onSnapshotProblem = (text) => node.trouble("cluster snapshot", text);
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
          node.reconciler.touchAll();
          if (controller.attachedScope !== node) return; // starting: it reconciles once started
          void node.projections.push(s);
          node.reconciler.soon();
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
    await node.reconciler.run();
    node.reconciler.startSweeping();
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
        this.controller.overlayPeers
          ?.update(overlayView(s, this.name, this.log.conn.o.advertiseAddr))
          .then(
            () => this.trouble("overlay peers", null),
            (e: unknown) => this.trouble("overlay peers", asNetledgerError(e).message),
          ),
        this.controller.clusterDns?.peers((networks) => dnsPeers(s, this.name, networks)).then(
          () => this.trouble("DNS records of other nodes", null),
          (e: unknown) => this.trouble("DNS records of other nodes", asNetledgerError(e).message),
        ),
      ]).then(() => undefined),
    projectEveryMs,
  );

  private folded(events: ClusterEvent[], s: ClusterState): void {
    void this.projections.push(s);
    // Lost while running (its lease expired in a partition): it is back, so it says so.
    if (s.nodes[this.name]?.state === "lost" && events.some((e) => e.type === "global.node.lost"))
      void this.membership.join().catch(() => undefined);
    this.reconciler.folded(events);
  }

  /** Brings the local log in step with the cluster state now; `all` looks at everything, not only what folds touched. */
  reconcile(all = false): Promise<void> {
    return this.reconciler.run(all);
  }

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
              await this.dropFailedCopy(cmd.id).catch(() => undefined);
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
            if (asNetledgerError(e).code === "NotFound") return r;
            // The reconciler releases it later (a failed command under withBusy asks for that pass too).
            this.reconciler.touch("endpoints", gone);
            throw e;
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
   * Runs a command's two halves with the reconciler kept off `id`; afterwards the id is looked at again
   * if a half failed or the reconciler skipped an event for it meanwhile (Reconciler.letGo).
   */
  private async withBusy<T>(id: string, f: () => Promise<T>, kind: "networks" | "endpoints"): Promise<T> {
    this.busy.add(id);
    let ok = false;
    try {
      const r = await f();
      ok = true;
      return r;
    } finally {
      this.busy.delete(id);
      this.reconciler.letGo(kind, id, ok);
    }
  }

  /** Deletes this node's copy of a global network whose CreateNetwork failed: a failed network is deleted as one. */
  private async dropFailedCopy(id: string): Promise<void> {
    if (C.get(this.controller.current().networks, id)?.lifecycle === "failed")
      await this.controller.run({ type: "network.delete", network: id, force: true }, { mirror: true });
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

  /** Stops following the cluster. The lease is left to expire (see Membership.stop). */
  async close(opts: { revoke?: boolean } = {}): Promise<void> {
    const reconciled = this.reconciler.stop();
    this.controller.attachGlobalScope(undefined);
    await this.forwarding.stop();
    await this.membership.stop(opts.revoke ?? false);
    await reconciled;
    await this.projections.stop();
    await this.log.close();
    this.copy?.close();
    this.log.conn.close();
  }
}

/** What starts a node: the cluster's options, its lease's, and where to tell the operator of its problems. */
export interface NodeOptions extends ClusterOptions, MembershipOptions {
  /** Told a line when a problem arises, changes or goes (`serve` writes it to its standard error). */
  report?: (line: string) => void;
}

/** Under a stream of appends a run every 20 ms took 8% of each node's thread (1.6 ms a run at 3,000 endpoints). */
const projectEveryMs = 100;
