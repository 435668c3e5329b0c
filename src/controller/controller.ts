import * as C from "../domain/collection.js";
import type { CommandInput } from "../domain/commands.js";
import { NetledgerError } from "../domain/errors.js";
import type { StoredEvent } from "../domain/events.js";
import { shortId } from "../domain/ids.js";
import { findEndpointById, findNetwork, findSandbox } from "../domain/resolve.js";
import { reducerVersion, type State } from "../domain/state.js";
import { type StateView, stateView } from "../domain/views.js";
import type { Capability, NetworkDriver, SandboxDriver } from "../drivers/contract.js";
import type { IpamCapability, IpamDriver } from "../drivers/ipamContract.js";
import { armCrashPoints } from "../effects/crashPoints.js";
import { collectGarbage, type GcReport } from "../effects/gc.js";
import { EffectLayer } from "../effects/layer.js";
import { currentAttempt } from "../effects/processIdentity.js";
import type { RecoveryReport, ReprogramReport } from "../effects/recovery.js";
import type { EffectRecord } from "../domain/state.js";
import { type EventFilter, type Head, toEvent } from "../store/eventLog.js";
import { serialiseState, Store } from "../store/store.js";
import { CommandBus } from "./bus.js";
import { DriverCatalog } from "./catalog.js";
import { endpointOperInfo } from "./operInfo.js";
import { type GlobalScope, refuseGlobalCreate } from "./globalScope.js";
import { Endpoint, type HandleHost, Network, Sandbox } from "./handles.js";
import { type Kernel, openKernel } from "./kernel.js";
import { loadForOpen, loadState, type Progress } from "./loadState.js";
import type { CommandOptions, CommandResult, NewNetworkOptions, NewSandboxOptions, OpenOptions } from "./options.js";
import { checkNetnsPath } from "./netnsPath.js";
import { parseCommand } from "./parseCommand.js";
import { defaultActor, defaultDbPath, defaultRunDir } from "./paths.js";
import { defaultSnapshotEvery, Snapshotter } from "./snapshotter.js";
import { type LedgerGcReport, suspectedLeaks } from "./suspectedLeaks.js";
import { type VerifyReport, verifyStore } from "./verify.js";
import { firstResultView } from "./firstResult.js";
import { gcContext } from "./gcCluster.js";
import type { EntityRef } from "../effects/sink.js";

export type { CommandOptions, CommandResult, NewNetworkOptions, NewSandboxOptions, OpenOptions } from "./options.js";
export type { RecoveredEffect, RecoveryReport, ReprogramReport } from "../effects/recovery.js";

/**
 * The controller: libnetwork's object, made of a log. It opens and closes the log, hands out the
 * entity handles and answers queries. A command is validated here and handed to the command bus (group
 * commit); the effect layer dispatches what it requests and settles it; run() returns once every
 * effect the command caused is settled.
 */
export class Controller implements HandleHost {
  private closed = false;
  /** Set when a read-only open could not fold the log: every query about the state rethrows it. */
  private loadError: NetledgerError | undefined;
  /** Set when a read-only open found the log broken (tailCheck.ts): the read-side tools warn with it. */
  warning: string | undefined;
  private readonly bus: CommandBus;
  private readonly effects: EffectLayer;
  private readonly catalog: DriverCatalog;
  /** Set when this controller is a node of a cluster: global-scope commands go through it. */
  private globalScope: GlobalScope | undefined;
  private cluster: { close(): Promise<void> } | undefined;
  private snapshots: Snapshotter | undefined;

  private constructor(
    readonly store: Store,
    private readonly kernel: Kernel,
    loaded: { state: State; head: Head },
    readonly actor: string,
    readonly runDir: string,
    opts: Pick<OpenOptions, "backoffMs" | "callTimeoutMs" | "pluginTimeoutMs">,
  ) {
    this.catalog = new DriverCatalog(kernel.registry, kernel.builtins);
    this.bus = new CommandBus(store, loaded, actor, (root) => ({
      root,
      attempt: currentAttempt(),
      drivers: this.catalog.driverInfo(),
      ipamDrivers: this.catalog.ipamInfo(),
      netnsDir: `${runDir}/netns`,
    }));
    this.effects = new EffectLayer(this.bus, {
      registry: kernel.registry,
      databaseId: store.databaseId,
      history: store.effects,
      projections: store.readonly ? [] : kernel.registry.projections(),
      namespaceExists: (key) => kernel.builtins.namespaceExists(key),
      durable: () => store.durable(),
      ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
      ...(opts.callTimeoutMs !== undefined ? { callTimeoutMs: opts.callTimeoutMs } : {}),
      // A plugin call may take the plugin timeout, and a Join places an interface after it.
      ...(opts.callTimeoutMs === undefined && opts.pluginTimeoutMs !== undefined ? { callTimeoutMs: opts.pluginTimeoutMs + 5_000 } : {}),
    });
    this.bus.listen(this.effects);
  }

  /**
   * Opens the log: folds it (snapshot + tail), records a reboot if the kernel boot id changed, and
   * takes over the effects whose process is gone. Never waits on a driver: the calls run after.
   */
  static async open(opts: OpenOptions = {}): Promise<Controller> {
    armCrashPoints();
    const store = Store.open(opts.db ?? defaultDbPath(), { readonly: opts.readonly ?? false });
    try {
      const runDir = opts.runDir ?? defaultRunDir();
      const kernel = await openKernel(opts, store.databaseId, runDir);
      const { loaded, loadError, warning } = loadForOpen(store);
      const c = new Controller(store, kernel, loaded, opts.actor ?? defaultActor(), runDir, opts);
      c.loadError = loadError;
      c.warning = warning;
      const every = opts.snapshotEvery ?? defaultSnapshotEvery;
      if (store.readonly && loaded.replayed >= every) opts.onLongReplay?.(loaded.replayed);
      if (!store.readonly) {
        c.snapshots = new Snapshotter(store, opts.snapshotEvery, loaded.fromSnapshot ?? 0, () => c.bus.state, () => c.bus.idle());
        c.bus.onCommit((head) => c.snapshots?.committed(head));
        if (loaded.replayed > every) c.snapshot();
        if (opts.recover !== false) await c.effects.recovery.atOpen();
        // The embedded DNS server answers from the state it was opened on and follows other writers.
        kernel.dns?.follow(() => c.refresh());
        await kernel.dns?.rebuild(c.current());
        if (opts.attachCluster) c.cluster = await opts.attachCluster(c).catch(async (e: unknown) => {
          await c.close();
          throw e;
        });
      }
      return c;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  get databaseId(): string {
    return this.store.databaseId;
  }
  get path(): string {
    return this.store.path;
  }

  get registry(): Kernel["registry"] {
    return this.kernel.registry;
  }

  /** The overlay driver's peer table input, and the DNS server's of other nodes' endpoints, for a cluster node (src/cluster/node.ts). */
  get overlayPeers(): Kernel["builtins"]["overlayPeers"] {
    return this.kernel.builtins.overlayPeers;
  }
  get clusterDns(): Pick<NonNullable<Kernel["dns"]>, "peers"> | undefined { return this.kernel.dns; }

  /** Each sandbox's hosts and resolv.conf. */
  get sandboxFiles(): Kernel["builtins"]["sandboxFiles"] {
    return this.kernel.builtins.sandboxFiles;
  }

  // ---------------------------------------------------------------- drivers

  /** Registers a driver an embedder brings, as libnetwork's RegisterDriver callback would. */
  registerDriver(name: string, driver: NetworkDriver, capability: Capability): void {
    this.registry.register(name, driver, capability, "embedder");
    this.catalog.invalidate();
  }

  /** Registers an IPAM driver an embedder brings (libnetwork's RegisterIpamDriver); asks its address spaces. */
  async registerIpamDriver(name: string, driver: IpamDriver, capability: Partial<IpamCapability> = {}): Promise<void> {
    await this.registry.ipam.register(name, driver, capability, "embedder");
    this.catalog.invalidate();
  }

  registerSandboxDriver(driver: SandboxDriver): void {
    this.registry.registerSandboxDriver(driver);
    this.catalog.invalidate();
  }
  /** Makes this controller a node of a cluster (src/cluster/node.ts attaches itself). */
  attachGlobalScope(g: GlobalScope | undefined): void {
    this.globalScope = g;
  }
  /** The cluster node this controller is, if it is one (for the views' `node` and the cluster routes). */
  get attachedScope(): GlobalScope | undefined {
    return this.globalScope;
  }

  // ---------------------------------------------------------------- commands

  /**
   * Runs a command to completion: decided and committed, its effects dispatched and their outcomes
   * recorded. Rejects with the command's refusal, or with the error of an effect that failed (after
   * its compensation is recorded).
   */
  async run(input: CommandInput, opts: CommandOptions = {}): Promise<CommandResult> {
    if (this.closed) throw new NetledgerError("IllegalState", "the controller is closed");
    const cmd = parseCommand(input, opts.requestId);
    checkNetnsPath(cmd);
    await this.catalog.ensureFor(cmd, (ref) => this.knownNetwork(ref));
    if (!opts.mirror) {
      const routed = await (this.globalScope?.route(cmd, opts) ?? refuseGlobalCreate(cmd, this.catalog.driverInfo()));
      if (routed) return routed;
    }
    const r = await this.bus.submit(cmd, opts);
    if (r.settled) await r.settled;
    await this.effects.projections.idle();
    this.store.durable(); // answered only once what it answers with is on disk
    return { events: r.events, repeated: r.repeated, ...(r.entity ? { entity: r.entity } : {}) };
  }

  /**
   * A network for the driver look-ups before a command. Given by id (as handles give it) and already
   * known, it is read from the state as it is: an id names one network for good, its drivers never
   * change, and decide() looks again inside the transaction. Otherwise (a name, a prefix, a network
   * another process just made) after catching up. Saves a head query per look-up on the hot path.
   */
  private knownNetwork(ref: string): ReturnType<typeof findNetwork> {
    if (this.loadError) throw this.loadError;
    return C.get(this.bus.state.networks, ref) ?? findNetwork(this.current(), ref);
  }

  // ---------------------------------------------------------------- libnetwork's object flow

  /** libnetwork's ConfigureNetworkDriver: options for a driver, recorded, then handed to it. */
  async configureNetworkDriver(driver: string, options: Record<string, unknown> = {}, opts: CommandOptions = {}): Promise<void> {
    await this.catalog.ensureDriver(driver);
    const d = this.registry.require(driver);
    await this.run({ type: "driver.configure", driver, options }, opts);
    await d.driver.config?.(options);
  }

  async newNetwork(driver: string, name: string, options: NewNetworkOptions = {}): Promise<Network> {
    const { requestId, actor, ipam, ...rest } = options;
    const r = await this.run(
      {
        type: "network.create",
        driver,
        name,
        ...rest,
        ...(ipam ? { ipam: { config: ipam.config ?? [], options: ipam.options ?? {}, ...(ipam.driver ? { driver: ipam.driver } : {}) } } : {}),
      },
      { requestId, actor },
    );
    return new Network(this, r.entity!.id);
  }

  networks(): Network[] {
    return this.view().networks.map((n) => new Network(this, n.id));
  }

  /** A network by name, id or unique id prefix. */
  network(ref: string): Network | undefined {
    const n = findNetwork(this.current(), ref);
    return n ? new Network(this, n.id) : undefined;
  }

  networkByName(name: string): Network | undefined {
    const id = C.get(this.current().networkNames, name);
    return id ? new Network(this, id) : undefined;
  }

  networkById(id: string): Network | undefined {
    const n = findNetwork(this.current(), id);
    return n && n.id.startsWith(id) ? new Network(this, n.id) : undefined;
  }

  /** libnetwork's NewSandbox: `netns: null` uses the host's namespace, a path an existing one. */
  async newSandbox(containerId: string, options: NewSandboxOptions = {}): Promise<Sandbox> {
    const { requestId, actor, ...rest } = options;
    const r = await this.run({ type: "sandbox.create", containerId, ...rest }, { requestId, actor });
    return new Sandbox(this, r.entity!.id);
  }

  sandboxes(): Sandbox[] {
    return this.view().sandboxes.map((s) => new Sandbox(this, s.id));
  }

  /** A sandbox by id, container id or unique id prefix. */
  sandbox(ref: string): Sandbox | undefined {
    const s = findSandbox(this.current(), ref);
    return s ? new Sandbox(this, s.id) : undefined;
  }

  endpoint(id: string): Endpoint | undefined {
    const e = findEndpointById(this.current(), id);
    return e ? new Endpoint(this, e.id) : undefined;
  }

  /** Asks the endpoint's driver for its operational data (EndpointOperInfo); nothing is logged. */
  endpointOperInfo(endpointId: string): Promise<Record<string, unknown>> {
    return endpointOperInfo(this.current(), this.catalog, endpointId);
  }

  // ---------------------------------------------------------------- recovery

  /** The entity as a request's first run left it (firstResult.ts): for a repeat whose entity is gone since. */
  firstResult(requestId: string, entity: EntityRef): ReturnType<typeof firstResultView> {
    return firstResultView(this.store, requestId, entity);
  }

  /** Open effects whose process is gone: in doubt (docs/architecture.md, recovery). */
  inDoubtEffects(): EffectRecord[] {
    return this.effects.recovery.inDoubt();
  }

  /**
   * Resolves what is open now and lists what it did: records a reboot, takes over every effect whose
   * process is gone, tries effects backing off for an unavailable driver once more, and waits for
   * their outcomes. Effects a live process is making are left to it, and listed.
   */
  recover(): Promise<RecoveryReport> {
    if (this.loadError) throw this.loadError;
    return this.effects.recovery.recover();
  }

  /**
   * Re-programs the kernel from the state after a reboot (recovery.ts): what the kernel lost is made
   * again through events, and the projections are rebuilt.
   */
  reprogram(opts: CommandOptions = {}): Promise<ReprogramReport> {
    if (this.closed) throw new NetledgerError("IllegalState", "the controller is closed");
    return this.effects.recovery.reprogram(opts);
  }

  /**
   * `netledger gc`: removes the links, namespaces, nftables rules, files and overlay peer entries of
   * this database that its state no longer wants (`dryRun`: lists them); writes nothing to the log.
   */
  async gc(opts: { dryRun?: boolean } = {}): Promise<LedgerGcReport> {
    await this.effects.projections.idle();
    const r = await collectGarbage(this.registry.collectors(), gcContext(this.store, this.current(), this.cluster !== undefined), opts.dryRun ?? false);
    // What a remote IPAM may hold unnamed is the plugin's to release: listed, never removed from here.
    return { ...r, suspectedLeaks: suspectedLeaks(this.store) };
  }

  // ---------------------------------------------------------------- queries

  /** The current state (read-only, frozen). */
  current(): State {
    if (this.loadError) throw this.loadError;
    this.bus.refresh();
    return this.bus.state;
  }

  /** Reads see what other processes have committed. */
  refresh(): void {
    this.current();
  }

  view(): StateView {
    const s = this.current();
    const doubt = new Set(this.inDoubtEffects().map((f) => f.id));
    return stateView(s, (f) => doubt.has(f.id));
  }

  /** The state as of a seq or a time (the last event at or before it). */
  stateAt(point: number | Date, onProgress?: Progress): StateView {
    const until = typeof point === "number" ? point : (this.store.log.seqAtOrBefore(point.toISOString()) ?? 0);
    const { state } = loadState(this.store, { until, ...(onProgress ? { onProgress } : {}) });
    return stateView(state);
  }

  /** The log as an async iterable, filtered; bounds inclusive. */
  async *events(filter: EventFilter = {}): AsyncGenerator<StoredEvent> {
    for (const row of this.store.log.rows(filter)) yield toEvent(row);
  }

  headOf(): Head {
    this.refresh();
    return this.bus.headNow;
  }

  /** Chain, replay and snapshots (verify.ts); with `expectHead`, that a head taken earlier is still in the chain. */
  verify(opts: { expectHead?: string; onProgress?: Progress } = {}): VerifyReport {
    return verifyStore(this.store, opts);
  }

  /** How many write transactions this controller committed, and how many commands they carried. */
  stats(): { commits: number; commands: number } {
    return this.bus.stats();
  }

  /** Writes a snapshot of the current state; returns its seq and state hash. */
  snapshot(): { seq: number; stateHash: string } {
    const state = this.current();
    const { json, hash } = serialiseState(state);
    this.store.saveSnapshot(state.seq, reducerVersion, json, hash);
    this.snapshots?.wrote(state.seq);
    return { seq: state.seq, stateHash: hash };
  }

  stateHash(): string {
    return serialiseState(this.current()).hash;
  }

  /** Finishes what is in flight (queued commands, running calls, their outcomes), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.cluster?.close();
    await this.effects.drain();
    this.closed = true;
    this.snapshots?.stop();
    this.effects.stop(new NetledgerError("IllegalState", "the controller was closed"));
    await this.kernel.dns?.close();
    await this.registry.close();
    this.store.close();
  }
}
