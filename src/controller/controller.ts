import { createHash } from "node:crypto";
import { canonicalJson } from "../domain/canonical.js";
import * as C from "../domain/collection.js";
import { type Command, type CommandInput, commandSchemas, type CommandType } from "../domain/commands.js";
import { decide, type DecideContext, type DriverInfo, type IpamDriverInfo } from "../domain/decide/index.js";
import { asNetledgerError, type ErrorCode, invalid, isNetledgerError, NetledgerError } from "../domain/errors.js";
import type { ErrorInfo, EventMeta, StoredEvent } from "../domain/events.js";
import { evolve } from "../domain/evolve.js";
import { emptyState, reducerVersion, type EffectRecord, type State } from "../domain/state.js";
import { genesisHash } from "../store/hashChain.js";
import { type StateView, stateView } from "../domain/views.js";
import type { ExtraHost, Ipam, PortBinding } from "../domain/events.js";
import { findEndpointById, findNetwork, findSandbox } from "../domain/resolve.js";
import { shortId } from "../domain/ids.js";
import type { Capability, DriverModule, NetworkDriver, SandboxDriver } from "../drivers/contract.js";
import { bridgeModule } from "../drivers/bridge/index.js";
import { Firewall } from "../drivers/bridge/firewall.js";
import { hostModule } from "../drivers/host/index.js";
import { SandboxFiles } from "../drivers/netns/files.js";
import { netnsSandboxDriver } from "../drivers/netns/index.js";
import { isNamespace } from "../drivers/netns/namespaces.js";
import { nullModule } from "../drivers/null/index.js";
import type { IpamCapability, IpamDriver, IpamModule } from "../drivers/ipamContract.js";
import { DriverRegistry } from "../drivers/registry.js";
import { type RemoteOptions, RemotePlugins } from "../drivers/remote/index.js";
import { armCrashPoints, crashPoint } from "../effects/crashPoints.js";
import { type Backoff, Dispatcher, dispatchedInThisProcess, type Outcome } from "../effects/dispatcher.js";
import { collectGarbage, type GcReport } from "../effects/gc.js";
import { currentAttempt, isAlive, isSelf } from "../effects/processIdentity.js";
import { type EventFilter, type Head, toEvent } from "../store/eventLog.js";
import { serialiseState, Store } from "../store/store.js";
import { Endpoint, Network, Sandbox } from "./handles.js";
import { type Loaded, loadState, type Progress } from "./loadState.js";
import { type VerifyReport, verifyStore } from "./verify.js";
import { defaultActor, defaultDbPath, defaultRunDir, isRoot } from "./paths.js";
import { Projections } from "./projections.js";
import { randomHex } from "./randomHex.js";

export interface OpenOptions {
  /** The database file; default as interface.md §2 (NETLEDGER_DB, /var/lib/netledger/netledger.db for root). */
  db?: string;
  /** Runtime directory for namespaces and sockets; default /run/netledger for root. */
  runDir?: string;
  /** Who is acting, for the audit trail; default the OS user. */
  actor?: string;
  /** Open for reading only: no migrations, no recovery, no writes. */
  readonly?: boolean;
  /**
   * Recover at open (default true): record a reboot, take over the effects whose process is gone.
   * Opening never waits on a driver either way: the calls are made after it returns.
   */
  recover?: boolean;
  /** Driver modules to initialise besides the built-in ones; each registers itself. */
  drivers?: DriverModule[];
  /** IPAM driver modules to initialise besides the built-in default and null IPAMs. */
  ipamDrivers?: IpamModule[];
  /** Write a snapshot at open when more than this many events had to be replayed (default 50,000). */
  snapshotEvery?: number;
  /** Back-off for effects whose driver is unavailable: capped doubling (default 250 ms up to 30 s). */
  backoffMs?: Backoff;
  /** How long one driver call may take before it is abandoned and its effect fails with Timeout (default 30 s). */
  callTimeoutMs?: number;
  /** The sandbox layer (namespaces), registered before recovery runs so that its pending effects can be made. */
  sandboxDriver?: SandboxDriver;
  /** Plugin discovery directories (default NETLEDGER_PLUGIN_DIRS, else Docker's). */
  pluginDirs?: string[];
  /** The timeout of one plugin call (default 30 s); also raises the call timeout above it. */
  pluginTimeoutMs?: number;
  /** Further options of the remote module, or false for no plugin discovery. */
  plugins?: Omit<RemoteOptions, "dirs" | "timeoutMs"> | false;
}

export interface CommandOptions {
  /** Idempotency key: a repeat returns the first result and appends nothing. */
  requestId?: string;
  /** Who is acting, for the audit trail. */
  actor?: string;
}

export interface CommandResult {
  /** The events this command appended (none when it was a repeat of a request id). */
  events: StoredEvent[];
  entity?: { kind: "network" | "endpoint" | "sandbox"; id: string };
  /** True when a request id had been seen before and nothing was appended. */
  repeated: boolean;
}

/** What a command's commit hands back to run(): its result, and what to wait on before returning it. */
interface Submitted extends CommandResult {
  root: string;
  /** Settles once every effect the command caused is settled (rejects with the first failure). */
  settled?: Promise<void>;
}

interface Pending {
  cmd: Command;
  root: string;
  actor: string;
  requestId: string | undefined;
  resolve: (r: Submitted) => void;
  reject: (e: unknown) => void;
}

/** A command (its root) waiting for its effects, continuations and compensations included. */
interface Waiter {
  open: Set<number>;
  error?: NetledgerError;
  /** Reject at once when a driver is unavailable (a caller waits for no back-off); recovery waits. */
  failFast: boolean;
  /**
   * Also wait for the effects that the outcomes of its effects request (continuations, compensations,
   * by causation): recovery resolves a chain to its end, as a command's waiter does through its root.
   */
  follow?: boolean;
  /** With `follow`: every effect it has waited for, in order, for recovery's report. */
  followedIds?: number[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** An effect a waiter waits for: whose it is, and whether its failure fails the command. */
interface Tracked {
  root: string;
  /** An inverse call settles a compensation; its failure is not the command's error. */
  inverse: boolean;
}

const builtinModules: DriverModule[] = [nullModule, hostModule];
/** Drivers that program the kernel, installed only where netledger runs as root. */
const kernelModules: DriverModule[] = [bridgeModule];

/**
 * The controller: libnetwork's object, made of a log. Commands are validated, decided inside one
 * BEGIN IMMEDIATE transaction per batch (group commit: the commands that arrive in one turn of the
 * event loop share the commit), their effects dispatched after the commit, and their outcomes recorded
 * the same way. A command returns once every effect it caused is settled.
 */
export class Controller {
  private state: State;
  private head: Head;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly waiters = new Map<string, Waiter>();
  /** effect id → the waiters tracking it (a command, and a recovery, may wait on the same effect). */
  private readonly tracked = new Map<number, Tracked[]>();
  /** Effects this controller is taking over right now, so that a poll does not ask twice. */
  private readonly takingOver = new Set<number>();
  private driverInfoCache: Record<string, DriverInfo> | undefined;
  private ipamInfoCache: Record<string, IpamDriverInfo> | undefined;
  /** The registry generation the two caches were taken at: a plugin registered during a call makes them stale. */
  private infoGeneration = -1;
  private readonly dispatcher: Dispatcher;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly netnsDir: string;
  /** Write transactions and the commands they carried, since open: group commit made visible. */
  private readonly counters = { commits: 0, commands: 0 };
  /** Set when a read-only open could not fold the log: every query about the state rethrows it. */
  private loadError: NetledgerError | undefined;
  /** Each sandbox's hosts and resolv.conf. */
  readonly sandboxFiles: SandboxFiles;
  /** What is kept in step with the state outside the log; none when open read-only. */
  private readonly projections: Projections;
  /** The bridge driver's nftables table; only where netledger runs as root. */
  private readonly firewall: Firewall | undefined;

  private constructor(
    readonly store: Store,
    readonly registry: DriverRegistry,
    loaded: { state: State; head: Head },
    readonly actor: string,
    readonly runDir: string,
    opts: Pick<OpenOptions, "backoffMs" | "callTimeoutMs" | "pluginTimeoutMs">,
  ) {
    this.state = loaded.state;
    this.head = loaded.head;
    this.netnsDir = `${runDir}/netns`;
    this.sandboxFiles = new SandboxFiles(runDir, store.databaseId);
    this.firewall = isRoot() ? new Firewall(store.databaseId) : undefined;
    const projections = [this.sandboxFiles, ...(this.firewall ? [this.firewall] : [])];
    this.projections = new Projections(store.readonly ? [] : projections, () => this.state);
    this.dispatcher = new Dispatcher({
      registry,
      databaseId: store.databaseId,
      report: (id, attempt, outcome) => this.recordOutcome(id, attempt, outcome),
      onUnavailable: (id, error) => this.driverUnavailable(id, error),
      ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
      ...(opts.callTimeoutMs !== undefined ? { callTimeoutMs: opts.callTimeoutMs } : {}),
      // A plugin call may take the plugin timeout, and a Join places an interface after it.
      ...(opts.callTimeoutMs === undefined && opts.pluginTimeoutMs !== undefined ? { callTimeoutMs: opts.pluginTimeoutMs + 5_000 } : {}),
    });
  }

  /**
   * Opens the log: folds it (snapshot + tail), records a reboot if the kernel boot id changed, and
   * takes over the effects whose process is gone. Never waits on a driver: the calls run after.
   */
  static async open(opts: OpenOptions = {}): Promise<Controller> {
    armCrashPoints();
    const path = opts.db ?? defaultDbPath();
    const store = Store.open(path, { readonly: opts.readonly ?? false });
    try {
      const registry = new DriverRegistry();
      for (const m of builtinModules) await m.init(registry.callback("builtin"), {});
      // Bridges, veths, namespaces and nftables need root. Without it they are not installed, so a
      // command that needs them is refused before anything is recorded (use -d null, --host-netns).
      if (isRoot()) {
        for (const m of kernelModules) await m.init(registry.callback("builtin"), {});
        registry.registerSandboxDriver(netnsSandboxDriver());
      }
      for (const m of opts.drivers ?? []) await m.init(registry.callback("embedder"), {});
      for (const m of opts.ipamDrivers ?? []) await m.initIpam(registry.ipam.callback("embedder"), {});
      if (opts.sandboxDriver) registry.registerSandboxDriver(opts.sandboxDriver);
      // Plugins register under their own names on first use (lazy discovery); nothing is called here.
      if (opts.plugins !== false)
        new RemotePlugins({
          ...(opts.plugins ?? {}),
          ...(opts.pluginDirs ? { dirs: opts.pluginDirs } : {}),
          ...(opts.pluginTimeoutMs !== undefined ? { timeoutMs: opts.pluginTimeoutMs } : {}),
        }).attach(registry);
      // A log that cannot be folded can still be opened read-only, so that verify can name what is wrong.
      let loaded: Loaded;
      let loadError: NetledgerError | undefined;
      try {
        loaded = loadState(store);
      } catch (e) {
        const err = asNetledgerError(e, "Corrupt");
        if (!store.readonly)
          throw new NetledgerError(err.code, `${err.message}; run "netledger verify" to see what is wrong`, err.details);
        loaded = { state: emptyState(), head: { seq: 0, hash: genesisHash }, replayed: 0, fromSnapshot: null };
        loadError = err;
      }
      const c = new Controller(store, registry, loaded, opts.actor ?? defaultActor(), opts.runDir ?? defaultRunDir(), opts);
      c.loadError = loadError;
      if (!store.readonly) {
        if (loaded.replayed > (opts.snapshotEvery ?? 50_000)) c.snapshot();
        if (opts.recover !== false) {
          await c.noteBoot();
          await c.takeOver(c.inDoubtEffects());
        }
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

  // ---------------------------------------------------------------- drivers

  /** Registers a driver an embedder brings, as libnetwork's RegisterDriver callback would. */
  registerDriver(name: string, driver: NetworkDriver, capability: Capability): void {
    this.registry.register(name, driver, capability, "embedder");
    this.driverInfoCache = undefined;
  }

  /** Registers an IPAM driver an embedder brings (libnetwork's RegisterIpamDriver); asks its address spaces. */
  async registerIpamDriver(name: string, driver: IpamDriver, capability: Partial<IpamCapability> = {}): Promise<void> {
    await this.registry.ipam.register(name, driver, capability, "embedder");
    this.ipamInfoCache = undefined;
  }

  registerSandboxDriver(driver: SandboxDriver): void {
    this.registry.registerSandboxDriver(driver);
    this.driverInfoCache = undefined;
  }

  private freshInfo(): void {
    if (this.infoGeneration === this.registry.generation) return;
    this.infoGeneration = this.registry.generation;
    this.driverInfoCache = undefined;
    this.ipamInfoCache = undefined;
  }

  private driverInfo(): Record<string, DriverInfo> {
    this.freshInfo();
    return (this.driverInfoCache ??= this.registry.info());
  }

  private async ensureDriver(name: string): Promise<void> {
    if (this.registry.get(name)) return;
    await this.registry.ensure(name);
    this.driverInfoCache = undefined;
    if (!this.registry.get(name) && name === "bridge" && !isRoot())
      throw new NetledgerError("Forbidden", `the bridge driver programs the kernel and needs root; run netledger as root, or use -d null`);
  }

  private ipamInfo(): Record<string, IpamDriverInfo> {
    this.freshInfo();
    return (this.ipamInfoCache ??= this.registry.ipam.info());
  }

  // ---------------------------------------------------------------- commands

  /** Validates a command with its zod schema; bad input is an InvalidParameter and writes nothing. */
  parse(input: CommandInput, opts: CommandOptions = {}): Command {
    const schema = commandSchemas[input.type as CommandType] as (typeof commandSchemas)[CommandType] | undefined;
    if (!schema) throw invalid(`unknown command type "${String((input as { type?: unknown }).type)}"`);
    const withId =
      "id" in (schema as { shape?: object }).shape! && (input as { id?: string }).id === undefined
        ? { ...input, id: newId(input.type, opts.requestId) }
        : input;
    const r = schema.safeParse(withId);
    if (!r.success) {
      const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`).join("; ");
      throw invalid(`invalid ${input.type} command: ${issues}`);
    }
    return r.data as Command;
  }

  /**
   * Runs a command to completion: decided and committed, its effects dispatched and their outcomes
   * recorded. Rejects with the command's refusal, or with the error of an effect that failed (after
   * its compensation is recorded).
   */
  async run(input: CommandInput, opts: CommandOptions = {}): Promise<CommandResult> {
    if (this.closed) throw new NetledgerError("IllegalState", "the controller is closed");
    const cmd = this.parse(input, opts);
    await this.ensureDriversFor(cmd);
    const r = await this.submit(cmd, opts);
    if (r.settled) await r.settled;
    await this.projections.idle();
    return { events: r.events, repeated: r.repeated, ...(r.entity ? { entity: r.entity } : {}) };
  }

  /**
   * Lets plugin discovery find the network and IPAM drivers a command needs before it is decided, as
   * libnetwork resolves drivers lazily: the network is looked up once for both.
   */
  private async ensureDriversFor(cmd: Command): Promise<void> {
    let driver: string | undefined;
    let ipam: string | undefined;
    if (cmd.type === "network.create") {
      driver = cmd.driver;
      ipam = cmd.ipam.driver;
    } else if ("network" in cmd && typeof cmd.network === "string") {
      try {
        const n = this.knownNetwork(cmd.network);
        driver = n?.driver;
        ipam = n?.ipam.driver;
      } catch {
        return; // decide() names what is wrong with the reference
      }
    }
    if (driver !== undefined && !this.registry.get(driver)) {
      if (cmd.type === "network.create") await this.ensureDriver(driver);
      // A driver not found for an existing network leaves its calls pending rather than refusing.
      else await this.ensureDriver(driver).catch(() => undefined);
    }
    if (ipam !== undefined && !this.registry.ipam.get(ipam)) {
      await this.registry.ipam.ensure(ipam);
      this.ipamInfoCache = undefined;
    }
  }

  /**
   * A network for the driver look-ups before a command. Given by id (as handles give it) and already
   * known, it is read from the state as it is: an id names one network for good, its drivers never
   * change, and decide() looks again inside the transaction. Otherwise (a name, a prefix, a network
   * another process just made) after catching up. Saves a head query per look-up on the hot path.
   */
  private knownNetwork(ref: string): ReturnType<typeof findNetwork> {
    if (this.loadError) throw this.loadError;
    return C.get(this.state.networks, ref) ?? findNetwork(this.current(), ref);
  }

  private submit(cmd: Command, opts: CommandOptions): Promise<Submitted> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        cmd,
        root: opts.requestId ?? randomHex(16),
        actor: opts.actor ?? this.actor,
        requestId: opts.requestId,
        resolve,
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private context(p: Pending): DecideContext {
    return { root: p.root, attempt: currentAttempt(), drivers: this.driverInfo(), ipamDrivers: this.ipamInfo(), netnsDir: this.netnsDir };
  }

  /** One write transaction for every command queued since the last one. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const results: (Submitted | NetledgerError)[] = [];
    /** Repeated request ids, with the seq of the first event their first run appended. */
    const repeats = new Map<number, number>();
    let appended: StoredEvent[] = [];
    let next: { state: State; head: Head } | undefined;
    try {
      this.store.write(() => {
        this.catchUp();
        let state = this.state;
        let head = this.head;
        const batchRequests = new Map<string, { entity?: Submitted["entity"]; fingerprint: string; seq: number }>();
        const out: StoredEvent[] = [];
        const time = new Date().toISOString();
        for (const p of batch) {
          try {
            const fingerprint = p.requestId !== undefined ? sha256(canonicalJson(p.cmd)) : "";
            if (p.requestId !== undefined) {
              const seen = batchRequests.get(p.requestId) ?? this.repeatOf(p.requestId);
              if (seen) {
                if (seen.fingerprint !== fingerprint)
                  throw new NetledgerError("Conflict", `request id ${p.requestId} was already used for a different command`);
                repeats.set(results.length, seen.seq);
                results.push({ events: [], repeated: true, root: p.requestId, ...(seen.entity ? { entity: seen.entity } : {}) });
                continue;
              }
            }
            const d = decide(state, p.cmd, this.context(p));
            const causation = p.cmd.type === "effect.outcome" || p.cmd.type === "effect.retry" ? p.cmd.effect : undefined;
            const meta: EventMeta = { actor: p.actor, time };
            if (p.requestId !== undefined) meta.requestId = p.requestId;
            if (causation !== undefined) meta.causation = causation;
            const stored = this.store.log.seal(head, d.events, meta);
            state = evolve(state, stored);
            if (stored.length > 0) head = { seq: stored.at(-1)!.seq, hash: stored.at(-1)!.hash };
            out.push(...stored);
            const r: Submitted = { events: stored, repeated: false, root: p.root, ...(d.entity ? { entity: d.entity } : {}) };
            if (p.requestId !== undefined && stored.length > 0) {
              this.store.recordRequest({
                request_id: p.requestId,
                fingerprint,
                seq: stored[0]!.seq,
                entity_kind: d.entity?.kind ?? null,
                entity_id: d.entity?.id ?? null,
              });
              batchRequests.set(p.requestId, { ...(d.entity ? { entity: d.entity } : {}), fingerprint, seq: stored[0]!.seq });
            }
            results.push(r);
          } catch (e) {
            results.push(refusal(e));
          }
        }
        this.store.log.insert(out);
        if (out.length > 0) crashPoint("before-commit");
        appended = out;
        next = { state, head };
      });
    } catch (e) {
      // The transaction failed as a whole (the lock, the disk): nothing of this batch was recorded.
      const err = asNetledgerError(e);
      for (const p of batch) p.reject(err);
      return;
    }
    if (appended.length > 0) crashPoint(appended.some(isOutcome) ? "after-outcome" : "after-commit");
    const before = this.state;
    this.state = next!.state;
    this.head = next!.head;
    this.projections.afterFold(before, appended, this.state);
    this.counters.commits++;
    this.counters.commands += batch.length;
    results.forEach((r, i) => {
      if (isNetledgerError(r) || repeats.has(i)) return;
      if (r.events.some((e) => e.type === "effect.requested" && e.data.root === r.root)) this.waiterFor(r.root, true);
    });
    this.afterFold(appended, true);
    // Repeats are followed only once this batch's own intents are dispatched: an intent of the same
    // command requested in this batch (a continuation) is ours, not in doubt, and must not be taken over.
    results.forEach((r, i) => {
      const since = repeats.get(i);
      if (since === undefined || isNetledgerError(r)) return;
      const failure = this.followRepeat(r.root, since);
      if (failure) results[i] = failure;
    });
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (isNetledgerError(r)) return p.reject(r);
      const w = this.waiters.get(r.root);
      p.resolve(w ? { ...r, settled: w.promise } : r);
    });
  }

  private repeatOf(requestId: string): { entity?: Submitted["entity"]; fingerprint: string; seq: number } | undefined {
    const row = this.store.request(requestId);
    if (!row) return undefined;
    const entity = row.entity_kind && row.entity_id ? { kind: row.entity_kind as "network", id: row.entity_id } : undefined;
    return { fingerprint: row.fingerprint, seq: row.seq, ...(entity ? { entity } : {}) };
  }

  /**
   * A request id seen before: the repeat returns the first run's result. When that run is still in
   * flight (its process crashed, or is busy elsewhere) the repeat waits for it to complete, taking over
   * what a dead process left; when it failed, the repeat fails the same way (the error returned here).
   */
  private followRepeat(root: string, since: number): NetledgerError | undefined {
    const failure = this.recordedFailure(root, since);
    const open = [...C.values(this.state.effects)].filter((f) => f.root === root);
    if (open.length === 0) return failure;
    const w = this.waiterFor(root, true);
    if (failure) w.error ??= failure;
    for (const f of open) this.track(w, root, f.id, f.inverse);
    void this.takeOver(open.filter((f) => this.isInDoubt(f)));
    this.ensurePolling();
    return undefined;
  }

  /**
   * The first failure recorded for a command (by its root, from the seq its first event took): an
   * effect that failed, or a clean-up requested because the command could not go on. Reads the log
   * from that seq on; only a repeated request id asks.
   */
  private recordedFailure(root: string, since: number): NetledgerError | undefined {
    const intents = this.store.db
      .prepare("SELECT seq, data FROM events WHERE seq >= ? AND type = 'effect.requested' AND json_extract(data, '$.root') = ?")
      .all(since, root) as { seq: number; data: string }[];
    if (intents.length === 0) return undefined;
    const found: { seq: number; error: ErrorInfo }[] = [];
    const primary: number[] = [];
    for (const row of intents) {
      const d = JSON.parse(row.data) as { inverse?: boolean; failure?: ErrorInfo };
      if (d.failure) found.push({ seq: row.seq, error: d.failure });
      if (!d.inverse) primary.push(row.seq);
    }
    if (primary.length > 0) {
      const failed = this.store.db
        .prepare(`SELECT seq, data FROM events WHERE seq > ? AND type = 'effect.failed' AND causation IN (${primary.map(() => "?").join(",")})`)
        .all(since, ...primary) as { seq: number; data: string }[];
      for (const row of failed) found.push({ seq: row.seq, error: (JSON.parse(row.data) as { error: ErrorInfo }).error });
    }
    found.sort((a, b) => a.seq - b.seq);
    return found[0] && toError(found[0].error);
  }

  /** Folds what other processes appended since our last look. Inside or outside a transaction. */
  private catchUp(): void {
    const caught: StoredEvent[] = [];
    for (const row of this.store.log.rowsAfter(this.state.seq)) caught.push(toEvent(row));
    if (caught.length === 0) return;
    const before = this.state;
    for (let i = 0; i < caught.length; i += 4096) this.state = evolve(this.state, caught.slice(i, i + 4096));
    const last = caught.at(-1)!;
    this.head = { seq: last.seq, hash: last.hash };
    this.projections.afterFold(before, caught, this.state);
    this.afterFold(caught, false);
  }

  /** Reads see what other processes have committed. */
  refresh(): void {
    if (this.loadError) throw this.loadError;
    if (this.store.log.head().seq !== this.state.seq) this.catchUp();
  }

  private waiterFor(root: string, failFast: boolean): Waiter {
    let w = this.waiters.get(root);
    if (!w) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => {}); // rejections are observed by run(); never unhandled here
      w = { open: new Set(), failFast, promise, resolve, reject };
      this.waiters.set(root, w);
    }
    return w;
  }

  private track(w: Waiter, root: string, effect: number, inverse: boolean): void {
    if (w.follow && !w.open.has(effect)) w.followedIds?.push(effect);
    w.open.add(effect);
    const list = this.tracked.get(effect) ?? [];
    if (!list.some((t) => t.root === root)) list.push({ root, inverse });
    this.tracked.set(effect, list);
  }

  /**
   * After events are folded: waiters learn of the effects their commands caused (continuations and
   * compensations carry the command's root) and of their outcomes; our own intents and takeovers are
   * dispatched. Effects are started only from events this controller appended (`own`), never from what
   * it catches up on: another controller, even in this process, dispatches its own.
   */
  private afterFold(events: readonly StoredEvent[], own: boolean): void {
    const touched = new Set<string>();
    // Outcomes whose waiters follow what they lead to: effect id → those waiters' roots.
    const followed = new Map<number, string[]>();
    for (const e of events) {
      if (e.type !== "effect.succeeded" && e.type !== "effect.failed") continue;
      const roots = (this.tracked.get(e.data.effect) ?? []).map((t) => t.root).filter((r) => this.waiters.get(r)?.follow);
      if (roots.length > 0) followed.set(e.data.effect, roots);
    }
    for (const e of events) {
      if (e.type === "effect.requested") {
        const w = this.waiters.get(e.data.root);
        if (w) {
          this.track(w, e.data.root, e.seq, e.data.inverse ?? false);
          if (e.data.failure) w.error ??= toError(e.data.failure);
        }
        const cause = e.meta.causation;
        for (const root of cause === undefined ? [] : (followed.get(cause) ?? [])) {
          if (root !== e.data.root) this.track(this.waiters.get(root)!, root, e.seq, true);
        }
        if (own) this.startEffect(e.seq, false);
      } else if (e.type === "effect.attempted") {
        if (own) this.startEffect(e.data.effect, true);
      } else if (e.type === "effect.succeeded" || e.type === "effect.failed") {
        const list = this.tracked.get(e.data.effect);
        if (list === undefined) continue;
        this.tracked.delete(e.data.effect);
        for (const t of list) {
          const w = this.waiters.get(t.root);
          if (!w) continue;
          w.open.delete(e.data.effect);
          if (e.type === "effect.failed" && !t.inverse) w.error ??= toError(e.data.error);
          touched.add(t.root);
        }
      }
    }
    for (const root of touched) {
      const w = this.waiters.get(root)!;
      if (w.open.size > 0) continue;
      this.waiters.delete(root);
      if (w.error) w.reject(w.error);
      else w.resolve();
    }
  }

  private startEffect(id: number, inDoubt: boolean): void {
    const fx = C.get(this.state.effects, String(id));
    if (fx) this.dispatcher.start(fx, inDoubt);
  }

  /** Resolves once the outcome is committed (or refused): until then the effect is still ours, not in doubt. */
  private recordOutcome(effect: number, attempt: number, outcome: Outcome): Promise<void> {
    const cmd: Command = outcome.ok
      ? { type: "effect.outcome", effect, attempt, ok: true, result: outcome.result }
      : { type: "effect.outcome", effect, attempt, ok: false, error: outcome.error };
    return this.submit(cmd, {}).then(() => undefined, (e) => {
      // Conflict: the outcome is recorded already, or a newer attempt superseded ours (decideOutcome
      // refuses both), so nothing is lost. Anything else leaves the effect open, and since its call is
      // no longer running here it is in doubt: the next recovery makes it again under its policy.
      if (!(isNetledgerError(e) && e.code === "Conflict")) process.emitWarning(`netledger: outcome of effect ${effect} not recorded: ${e}`);
    });
  }

  /** A command waiting on a driver that cannot be reached fails now; the call stays pending, retried. */
  private driverUnavailable(effect: number, error: NetledgerError): void {
    for (const t of this.tracked.get(effect) ?? []) {
      const w = this.waiters.get(t.root);
      if (!w || !w.failFast) continue;
      this.waiters.delete(t.root);
      // When the command has failed already and this is its undo that waits, the failure is the answer.
      w.reject(
        w.error && t.inverse
          ? new NetledgerError(
              w.error.code,
              `${w.error.message}; undoing it waits for the driver (${error.message}), retried with back-off (run "netledger recover" once the driver is back)`,
              { ...w.error.details, effect },
            )
          : new NetledgerError(
              "PluginUnavailable",
              `${error.message}; the call stays pending and is retried with back-off (run "netledger recover" once the driver is back)`,
              { effect },
            ),
      );
    }
  }

  /** Whether an open effect's process is gone: its last attempt's, or ours when no call for it runs here. */
  private isInDoubt(f: EffectRecord): boolean {
    const last = f.attempts.at(-1)!;
    if (isSelf(last)) return !dispatchedInThisProcess(this.store.databaseId, f.id);
    return !isAlive(last);
  }

  /**
   * Takes effects over: a new attempt (effect.attempted) for each, after which this controller makes
   * the call under the effect's in-doubt policy. Does not wait for the calls. Resolves to the effects
   * it took; one another process took first is left to it.
   */
  private async takeOver(effects: readonly EffectRecord[]): Promise<number[]> {
    const fresh = effects.filter((f) => !this.takingOver.has(f.id));
    for (const f of fresh) this.takingOver.add(f.id);
    const settled = await Promise.allSettled(
      fresh.map((f) => this.submit({ type: "effect.retry", effect: f.id, seen: f.attempts.length }, {})),
    );
    for (const f of fresh) this.takingOver.delete(f.id);
    return fresh.filter((_, i) => settled[i]!.status === "fulfilled").map((f) => f.id);
  }

  /**
   * While a waiter waits on another process's effects, look at the log for their outcomes, and take
   * over the ones whose process has died meanwhile.
   */
  private ensurePolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.closed) return;
      try {
        this.refresh();
      } catch {
        return; // a busy reader retries on the next tick
      }
      const foreign: EffectRecord[] = [];
      for (const id of this.tracked.keys()) {
        const f = C.get(this.state.effects, String(id));
        if (f && !this.dispatcher.isRunning(id)) foreign.push(f);
      }
      if (foreign.length === 0) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
        return;
      }
      const gone = foreign.filter((f) => this.isInDoubt(f));
      if (gone.length > 0) void this.takeOver(gone);
    }, 20);
  }

  // ---------------------------------------------------------------- libnetwork's object flow

  /** libnetwork's ConfigureNetworkDriver: options for a driver, recorded, then handed to it. */
  async configureNetworkDriver(driver: string, options: Record<string, unknown> = {}, opts: CommandOptions = {}): Promise<void> {
    await this.ensureDriver(driver);
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
      } as CommandInput,
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
    const r = await this.run({ type: "sandbox.create", containerId, ...rest } as CommandInput, { requestId, actor });
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
  async endpointOperInfo(endpointId: string): Promise<Record<string, unknown>> {
    const s = this.current();
    const e = C.get(s.endpoints, endpointId);
    if (!e) throw new NetledgerError("NotFound", `endpoint ${shortId(endpointId)} not found`);
    const n = C.get(s.networks, e.network)!;
    await this.ensureDriver(n.driver);
    const d = this.registry.get(n.driver);
    if (!d) throw new NetledgerError("PluginUnavailable", `network driver ${n.driver} is not available`);
    return d.driver.endpointOperInfo({ networkId: n.id, endpointId: e.id });
  }

  // ---------------------------------------------------------------- recovery

  /** Open effects whose process is gone: in doubt (DESIGN §2). */
  inDoubtEffects(): EffectRecord[] {
    return [...C.values(this.state.effects)].filter((f) => this.isInDoubt(f));
  }

  /**
   * Records a reboot (host.booted) when the kernel boot id differs from the last one the log saw;
   * returns the change, or null. Effects of the earlier boot are then in doubt (isAlive).
   */
  private async noteBoot(): Promise<{ previous: string; current: string } | null> {
    const previous = this.state.boot;
    const current = currentAttempt().boot;
    if (previous === null || previous === current) return null;
    const r = await this.submit({ type: "host.boot", ...this.kernelLoss() }, {});
    return r.events.length > 0 ? { previous, current } : null;
  }

  /**
   * Resolves what is open now and lists what it did: records a reboot, takes over every effect whose
   * process is gone (under its in-doubt policy), tries effects backing off for an unavailable driver
   * once more, and waits for their outcomes (not for drivers still unavailable). Effects a live
   * process is making are left to it, and listed.
   */
  async recover(): Promise<RecoveryReport> {
    this.refresh();
    const boot = await this.noteBoot();
    const open = [...C.values(this.state.effects)];
    const inDoubt = open.filter((f) => this.isInDoubt(f));
    // Effects this controller took over earlier (at open) and is still making are resolved here too.
    const takenEarlier = open
      .filter((f) => !inDoubt.includes(f) && f.attempts.length > 1 && isSelf(f.attempts.at(-1)!) && this.dispatcher.isRunning(f.id))
      .map((f) => f.id);
    const taken = await this.takeOver(inDoubt);
    const retried = this.dispatcher.backingOff().filter((id) => this.dispatcher.retryNow(id));
    const root = `recover:${randomHex(8)}`;
    const w = this.waiterFor(root, false);
    w.follow = true;
    w.followedIds = [];
    const resolving = [...new Set([...takenEarlier, ...taken, ...retried])];
    for (const id of resolving) if (C.has(this.state.effects, String(id))) this.track(w, root, id, true);
    // quiet() ends the wait when all that is left is backing off for a driver still unavailable.
    if (w.open.size > 0) await Promise.race([w.promise, this.quiet()]);
    this.waiters.delete(root);
    const left = open
      .filter((f) => !inDoubt.includes(f) && !this.dispatcher.isRunning(f.id) && C.has(this.state.effects, String(f.id)))
      .map((f) => ({ ...this.effectReport(f.id), pid: f.attempts.at(-1)!.pid }));
    // The hosts files and the nftables table are derived: whatever a crash left them as, rebuild them.
    const projectionErrors = await this.projections.rebuild();
    return {
      boot,
      // What the resolved outcomes led to (continuations, compensations) is listed after them.
      resolved: w.followedIds.map((id) => this.effectReport(id)),
      left,
      ...(projectionErrors.length ? { projectionErrors } : {}),
    };
  }

  /** What the kernel no longer holds after a reboot: the sandboxes whose namespace is gone, and the drivers to re-program. */
  private kernelLoss(): { drivers: string[]; goneSandboxes: string[] } {
    const s = this.current();
    const goneSandboxes = [...C.values(s.sandboxes)].filter((sb) => sb.key !== null && !isNamespace(sb.key)).map((sb) => sb.id);
    const drivers = this.registry
      .list()
      .filter((d) => d.origin === "builtin" && d.capability.sideEffects)
      .map((d) => d.name);
    return { drivers, goneSandboxes };
  }

  /**
   * Re-programs the kernel from the state, for the recovery to call when the boot id has changed (the
   * namespaces, links and nftables rules are gone): sandboxes whose namespace no longer exists are
   * removed with their endpoints, networks of the built-in kernel drivers are created again and
   * their joined endpoints joined again — all through events — and the projections are rebuilt. Run
   * it once in-doubt effects are settled; entities still busy are skipped and a later run takes them.
   */
  async reprogram(opts: CommandOptions = {}): Promise<ReprogramReport> {
    const { drivers, goneSandboxes } = this.kernelLoss();
    const r = await this.run({ type: "kernel.reprogram", drivers, goneSandboxes }, opts);
    const projectionErrors = await this.projections.rebuild();
    return {
      networks: r.events.filter((e) => e.type === "network.reprogrammed").map((e) => e.stream),
      removedSandboxes: goneSandboxes.filter((id) => r.events.some((e) => e.type === "sandbox.deleted" && e.stream === id)),
      ...(projectionErrors.length ? { projectionErrors } : {}),
    };
  }

  /**
   * `netledger gc`: removes the links, namespaces, nftables rules and sandbox files that carry this
   * database's id and that the state no longer knows; with `dryRun`, only lists them.
   */
  async gc(opts: { dryRun?: boolean } = {}): Promise<GcReport> {
    // gc writes nothing to the log, so a read-only open serves it.
    const dryRun = opts.dryRun ?? false;
    await this.projections.idle();
    return collectGarbage(
      {
        state: this.current(),
        databaseId: this.databaseId,
        netnsDir: this.netnsDir,
        files: this.sandboxFiles,
        ...(this.firewall ? { firewall: this.firewall } : {}),
      },
      dryRun,
    );
  }

  /** Resolves once no call is running and nothing is queued (pending back-offs excepted). */
  private async quiet(): Promise<void> {
    for (;;) {
      await this.dispatcher.drain();
      await new Promise((r) => setImmediate(r));
      if (this.queue.length === 0 && !this.flushScheduled) {
        await this.dispatcher.drain();
        if (this.queue.length === 0 && !this.flushScheduled) return;
      }
    }
  }

  /** What became of an effect: its outcome from the log, or why it is still open. */
  private effectReport(id: number): RecoveredEffect {
    const open = C.get(this.state.effects, String(id));
    if (open) {
      const backingOff = this.dispatcher.backingOff().includes(id);
      return {
        effect: id,
        op: open.op,
        driver: open.driver,
        resource: open.resource,
        attempts: open.attempts.length,
        outcome: "pending",
        ...(backingOff ? { error: { code: "PluginUnavailable", message: `driver ${open.driver} is unavailable; retried with back-off` } } : {}),
      };
    }
    const intent = toEvent(this.store.db.prepare("SELECT * FROM events WHERE seq = ?").get(id) as never);
    const data = intent.data as { op: string; driver: string; resource: string };
    const attempts = this.store.db
      .prepare("SELECT count(*) AS n FROM events WHERE seq > ? AND causation = ? AND type = 'effect.attempted'")
      .get(id, id) as { n: number };
    const outcome = this.store.db
      .prepare("SELECT type, data FROM events WHERE seq > ? AND causation = ? AND type IN ('effect.succeeded', 'effect.failed') LIMIT 1")
      .get(id, id) as { type: string; data: string } | undefined;
    return {
      effect: id,
      op: data.op,
      driver: data.driver,
      resource: data.resource,
      attempts: 1 + attempts.n,
      outcome: outcome?.type === "effect.succeeded" ? "succeeded" : outcome ? "failed" : "pending",
      ...(outcome?.type === "effect.failed" ? { error: (JSON.parse(outcome.data) as { error: ErrorInfo }).error } : {}),
    };
  }

  // ---------------------------------------------------------------- queries

  /** The current state (read-only, frozen). */
  current(): State {
    this.refresh();
    return this.state;
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
    return this.head;
  }

  /** Chain, replay and snapshots (verify.ts); with `expectHead`, that a head taken earlier is still in the chain. */
  verify(opts: { expectHead?: string; onProgress?: Progress } = {}): VerifyReport {
    return verifyStore(this.store, opts);
  }

  /** How many write transactions this controller committed, and how many commands they carried. */
  stats(): { commits: number; commands: number } {
    return { ...this.counters };
  }

  /** Writes a snapshot of the current state; returns its seq and state hash. */
  snapshot(): { seq: number; stateHash: string } {
    this.refresh();
    const { json, hash } = serialiseState(this.state);
    this.store.saveSnapshot(this.state.seq, reducerVersion, json, hash);
    return { seq: this.state.seq, stateHash: hash };
  }

  stateHash(): string {
    return serialiseState(this.current()).hash;
  }

  /** Finishes what is in flight (queued commands, running calls, their outcomes), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.quiet();
    await this.projections.idle();
    this.closed = true;
    this.dispatcher.stop();
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.waiters.values()) w.reject(new NetledgerError("IllegalState", "the controller was closed"));
    this.waiters.clear();
    await this.registry.close();
    this.store.close();
  }
}

export interface NewNetworkOptions extends CommandOptions {
  ipam?: { driver?: string; config?: Ipam["config"]; options?: Record<string, string> };
  ipv6?: boolean;
  internal?: boolean;
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface NewSandboxOptions extends CommandOptions {
  hostname?: string;
  domainname?: string;
  dns?: string[];
  extraHosts?: ExtraHost[];
  /** An existing namespace path; null for the host's namespace; absent to have one made. */
  netns?: string | null;
}

export type { PortBinding };

export interface RecoveredEffect {
  effect: number;
  op: string;
  driver: string;
  resource: string;
  /** Attempts recorded so far (1: the first, made with the intent). */
  attempts: number;
  outcome: "succeeded" | "failed" | "pending";
  /** Why it failed, or why it is still pending. */
  error?: ErrorInfo;
}

export interface ReprogramReport {
  /** Networks whose CreateNetwork was made again (their joined endpoints were joined again after it). */
  networks: string[];
  /** Sandboxes removed because their namespace was gone. */
  removedSandboxes: string[];
  projectionErrors?: string[];
}

export interface RecoveryReport {
  /** A reboot recorded by this recovery (the kernel boot id changed since the log last saw it). */
  boot: { previous: string; current: string } | null;
  /** Effects this recovery took over or tried again, with what became of them. */
  resolved: RecoveredEffect[];
  /** Open effects a live process is making: left to it. */
  left: (RecoveredEffect & { pid: number })[];
  /** Projections (hosts files, nftables) that could not be rebuilt, and why. */
  projectionErrors?: string[];
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/**
 * A new entity's id: random, or derived from the request id so that a command sent again after a
 * crash names the same entity (and so has the same fingerprint).
 */
function newId(type: string, requestId: string | undefined): string {
  return requestId !== undefined ? sha256(`netledger:${type}:${requestId}`) : randomHex(32);
}

function toError(e: ErrorInfo): NetledgerError {
  return new NetledgerError(e.code as ErrorCode, e.message);
}

function isOutcome(e: StoredEvent): boolean {
  return e.type === "effect.succeeded" || e.type === "effect.failed";
}

/** A decide() refusal or a reducer bug, as the error the caller gets. */
function refusal(e: unknown): NetledgerError {
  if (isNetledgerError(e)) return e;
  return new NetledgerError("Internal", `netledger could not apply this command: ${(e as Error).message}`);
}
