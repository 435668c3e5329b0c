import type { NetledgerError } from "../domain/errors.js";
import { notFound } from "../domain/errors.js";
import * as C from "../domain/collection.js";
import { findNetwork, findSandbox, resolveEndpoint, resolveNetwork } from "../domain/resolve.js";
import { reducerVersion, type State } from "../domain/state.js";
import { byCreation, type EndpointView, endpointView, type NetworkView, networkView, type SandboxView, sandboxView } from "../domain/views.js";
import { ReadLog } from "../store/readLog.js";
import { snapshotState } from "../store/snapshots.js";
import { brokenLogText, checkTail } from "../store/tailCheck.js";
import type { NetledgerApi } from "./contract.js";

/** The queries a read command (ls, inspect, port) asks: what the quick read path answers. */
export type ReadQueries = Pick<NetledgerApi, "networks" | "network" | "endpoints" | "endpoint" | "sandboxes" | "sandbox" | "close">;

export interface ReadOpenOptions {
  /** Called with the count of events replayed when a read had to replay `longReplay` or more (no recent snapshot). */
  onLongReplay?: (replayed: number) => void;
  longReplay?: number;
  /**
   * The full local API, opened on demand: an endpoint of a global-scope network names its cluster
   * node, which only the controller's view of this host's copy of the cluster log tells.
   */
  full: () => Promise<ReadQueries>;
}

/** What a writable open would replay without complaint: a read past it suggests `netledger snapshot` (snapshotter.ts). */
const defaultLongReplay = 50_000;

/**
 * The quick read path (docs/architecture.md): the state from the log opened read-only, without a
 * controller. A snapshot at the head is the state itself — its hash and shape checked, the chain
 * from it to the head checked as every open checks it — and nothing else is loaded: no event
 * schemas, no reducers, no drivers. A log with a tail after its latest snapshot, or whose snapshot
 * cannot be used, is loaded as a read-only controller loads it (loadState.ts, imported then).
 * Answers are the views a LocalApi gives, built by the same functions.
 */
export class ReadApi implements ReadQueries {
  private fullApi: Promise<ReadQueries> | undefined;

  private constructor(
    private readonly log: ReadLog,
    private readonly state: State,
    private readonly loadError: NetledgerError | undefined,
    /** What is wrong with the log, when a reader still reads it (a broken chain, a bad snapshot). */
    readonly warning: string | undefined,
    private readonly opts: ReadOpenOptions,
  ) {}

  static async open(db: string, opts: ReadOpenOptions): Promise<ReadApi> {
    const log = ReadLog.open(db);
    try {
      const quick = snapshotAtHead(log);
      if (quick) {
        const broken = checkTail(log, { fromSeq: quick.seq });
        return new ReadApi(log, quick, undefined, broken ? brokenLogText(broken) : undefined, opts);
      }
      const { loadForOpen } = await import("../controller/loadState.js");
      const { loaded, loadError, warning } = loadForOpen(log);
      if (loaded.replayed >= (opts.longReplay ?? defaultLongReplay)) opts.onLongReplay?.(loaded.replayed);
      return new ReadApi(log, loaded.state, loadError, warning, opts);
    } catch (e) {
      log.close();
      throw e;
    }
  }

  private current(): State {
    if (this.loadError) throw this.loadError;
    return this.state;
  }

  private full(): Promise<ReadQueries> {
    return (this.fullApi ??= this.opts.full());
  }

  private isGlobal(network: string): boolean {
    return C.get(this.current().networks, network)?.scope === "global";
  }

  async networks(): Promise<NetworkView[]> {
    return [...C.values(this.current().networks)].sort(byCreation).map(networkView);
  }

  async network(ref: string): Promise<NetworkView> {
    const n = findNetwork(this.current(), ref);
    if (!n) throw notFound(`network "${ref}" not found`);
    return networkView(n);
  }

  async endpoints(network?: string): Promise<EndpointView[]> {
    const s = this.current();
    const only = network !== undefined ? resolveNetwork(s, network).id : undefined;
    const all = [...C.values(s.endpoints)].sort(byCreation).filter((e) => only === undefined || e.network === only);
    if (all.some((e) => this.isGlobal(e.network))) return (await this.full()).endpoints(network);
    return all.map((e) => ({ ...endpointView(e), node: null }));
  }

  async endpoint(network: string, ref: string): Promise<EndpointView> {
    const s = this.current();
    const e = resolveEndpoint(s, resolveNetwork(s, network), ref);
    if (this.isGlobal(e.network)) return (await this.full()).endpoint(network, ref);
    return { ...endpointView(e), node: null };
  }

  async sandboxes(): Promise<SandboxView[]> {
    return [...C.values(this.current().sandboxes)].sort(byCreation).map(sandboxView);
  }

  async sandbox(ref: string): Promise<SandboxView> {
    const sb = findSandbox(this.current(), ref);
    if (!sb) throw notFound(`sandbox "${ref}" not found`);
    return sandboxView(sb);
  }

  async close(): Promise<void> {
    this.log.close();
    if (this.fullApi) await (await this.fullApi).close();
  }
}

/** The latest snapshot when it is at the head and usable; otherwise undefined, and the full load says what is wrong. */
function snapshotAtHead(log: ReadLog): State | undefined {
  const row = log.latestSnapshot(reducerVersion);
  if (!row || row.seq !== log.log.head().seq) return undefined;
  try {
    return snapshotState(row);
  } catch {
    return undefined;
  }
}
