import { setTimeout as sleep } from "node:timers/promises";
import type { CommandInput, CommandType } from "../domain/commands.js";
import { isNetledgerError, NetledgerError, notFound } from "../domain/errors.js";
import type { StoredEvent } from "../domain/events.js";
import { findNetwork, findSandbox, resolveEndpoint, resolveNetwork } from "../domain/resolve.js";
import { type EndpointView, endpointView, type StateView, stateView } from "../domain/views.js";
import { readCopy } from "../cluster/copy.js";
import type { ClusterNode } from "../cluster/node.js";
import { type ClusterState, globalEndpoint } from "../domain/cluster/state.js";
import type { ClusterStatus } from "../cluster/status.js";
import type { NodeView } from "../cluster/membership.js";
import { type CommandResult, Controller, type OpenOptions, type RecoveryReport } from "../controller/controller.js";
import type { GlobalScope } from "../controller/globalScope.js";
import type { VerifyReport } from "../controller/verify.js";
import type { LedgerGcReport } from "../controller/suspectedLeaks.js";
import { type EventFilter, type Head, toEvent } from "../store/eventLog.js";
import type {
  CallOptions,
  ConnectBody,
  DisconnectBody,
  Disconnected,
  DriverView,
  EndpointCreateBody,
  EventQuery,
  Health,
  NetledgerApi,
  NetworkCreateBody,
  Removed,
  SandboxCreateBody,
} from "./contract.js";
import { version } from "./version.js";

const raise = (e: NetledgerError): never => {
  throw e;
};

/** Rows read from the log per page when streaming it, so that a long log never blocks other requests. */
const eventPage = 500;
/** How often a followed stream looks for new events. */
const followPollMs = 100;

/**
 * The API on a Controller this process owns: what the CLI runs when it opens the database itself, and
 * what the daemon's routes run. Entities are named as the CLI names them (names, ids, id prefixes,
 * container ids); answers are the views of interface.md §3.
 */
export class LocalApi implements NetledgerApi {
  constructor(readonly controller: Controller) {}

  static async open(opts: OpenOptions): Promise<LocalApi> {
    return new LocalApi(await Controller.open(opts));
  }

  /**
   * `netledger gc`: the kernel objects and files this database owns that its state no longer knows.
   * Local only: it acts on this host's kernel with this process's privileges, so the CLI runs it on
   * the database file itself, a daemon's included, and no REST route carries it.
   */
  gc(opts: { dryRun: boolean }): Promise<LedgerGcReport> {
    return this.controller.gc(opts);
  }

  private async run<T extends CommandType>(type: T, body: object, o: CallOptions = {}) {
    return this.controller.run({ type, ...body } as CommandInput, o);
  }

  /**
   * The answer of a create: the entity now, or, for a repeated request id whose entity was deleted
   * since, the entity as the first run left it (a repeat returns the first result, not NotFound).
   */
  private answer<V>(r: CommandResult, o: CallOptions | undefined, now: () => V): V {
    try {
      return now();
    } catch (e) {
      if (!r.repeated || !r.entity || o?.requestId === undefined || !isNetledgerError(e) || e.code !== "NotFound") throw e;
      const first = this.controller.firstResult(o.requestId, r.entity);
      if (!first) throw e;
      // An endpoint's answer carries its node as the live view does (null once its network is gone).
      return (r.entity.kind === "endpoint" ? this.withNode(first as EndpointView) : first) as V;
    }
  }

  private endpointNow(id: string): EndpointView {
    const e = this.controller.endpoint(id);
    if (!e) throw notFound(`endpoint ${id.slice(0, 12)} no longer exists`);
    return this.withNode(e.view());
  }

  /**
   * The node an endpoint lives on, null for a local network's. One of a global network lives on this
   * node: its name, from the running node, or else (a one-shot reader, not a node) from this host's
   * verified copy of the cluster log, read once per call (`copy`).
   */
  private withNode(e: EndpointView, copy: { state?: ClusterState | null } = {}): EndpointView {
    if (this.controller.network(e.network)?.scope !== "global") return { ...e, node: null };
    const g = this.controller.attachedScope;
    if (g) return { ...e, node: g.name };
    if (copy.state === undefined) copy.state = readCopySafely(this.controller);
    return { ...e, node: (copy.state && globalEndpoint(copy.state, e.id)?.node) ?? null };
  }

  /** The cluster node this process is (a daemon started with --cluster), or a clear refusal. */
  private clusterNode(): ClusterNode {
    const g = this.controller.attachedScope;
    if (g && isClusterNode(g)) return g;
    throw new NetledgerError("NotFound", "this process is not a node of a cluster: start `netledger serve` with --cluster URLS (or NETLEDGER_CLUSTER)");
  }

  async clusterStatus(): Promise<ClusterStatus> {
    return this.clusterNode().status();
  }

  async nodes(): Promise<NodeView[]> {
    return this.clusterNode().nodes();
  }

  // ------------------------------------------------------------ networks

  async networks() {
    return this.controller.view().networks;
  }

  async network(ref: string) {
    const n = this.controller.network(ref);
    if (!n) throw notFound(`network "${ref}" not found`);
    return n.view();
  }

  async createNetwork(body: NetworkCreateBody, o?: CallOptions) {
    const r = await this.run("network.create", body, o);
    return this.answer(r, o, () => this.controller.network(r.entity!.id)?.view() ?? raise(notFound(`network ${r.entity!.id.slice(0, 12)} no longer exists`)));
  }

  async deleteNetwork(ref: string, force: boolean, o?: CallOptions): Promise<Removed> {
    const r = await this.run("network.delete", { network: ref, force }, o);
    return { removed: r.entity?.id ?? null };
  }

  async connect(network: string, body: ConnectBody, o?: CallOptions) {
    const r = await this.run("network.connect", { ...body, network }, o);
    return this.answer(r, o, () => this.endpointNow(r.entity!.id));
  }

  async disconnect(network: string, body: DisconnectBody, o?: CallOptions): Promise<Disconnected> {
    const r = await this.run("network.disconnect", { ...body, network }, o);
    return { endpoint: r.entity?.id ?? null };
  }

  // ------------------------------------------------------------ endpoints

  async endpoints(network?: string) {
    const only = network !== undefined ? resolveNetwork(this.controller.current(), network).id : undefined;
    const copy = {}; // read once for the whole listing, and only if one of them is global
    return this.controller
      .view()
      .endpoints.filter((e) => only === undefined || e.network === only)
      .map((e) => this.withNode(e, copy));
  }

  async endpoint(network: string, ref: string) {
    const s = this.controller.current();
    return this.withNode(endpointView(resolveEndpoint(s, resolveNetwork(s, network), ref)));
  }

  async createEndpoint(network: string, body: EndpointCreateBody, o?: CallOptions) {
    const r = await this.run("endpoint.create", { ...body, network }, o);
    return this.answer(r, o, () => this.endpointNow(r.entity!.id));
  }

  async deleteEndpoint(network: string, ref: string, force: boolean, o?: CallOptions): Promise<Removed> {
    const r = await this.run("endpoint.delete", { network, endpoint: ref, force }, o);
    return { removed: r.entity?.id ?? null };
  }

  async join(network: string, endpoint: string, sandbox: string, o?: CallOptions) {
    const r = await this.run("endpoint.join", { network, endpoint, sandbox }, o);
    return this.endpointNow(r.entity!.id);
  }

  async leave(network: string, endpoint: string, sandbox: string, o?: CallOptions) {
    const r = await this.run("endpoint.leave", { network, endpoint, sandbox }, o);
    return this.endpointNow(r.entity!.id);
  }

  // ------------------------------------------------------------ sandboxes

  async sandboxes() {
    return this.controller.view().sandboxes;
  }

  async sandbox(ref: string) {
    const sb = this.controller.sandbox(ref);
    if (!sb) throw notFound(`sandbox "${ref}" not found`);
    return sb.view();
  }

  async createSandbox(body: SandboxCreateBody, o?: CallOptions) {
    const r = await this.run("sandbox.create", body, o);
    return this.answer(r, o, () => this.controller.sandbox(r.entity!.id)?.view() ?? raise(notFound(`sandbox ${r.entity!.id.slice(0, 12)} no longer exists`)));
  }

  async deleteSandbox(ref: string, force: boolean, o?: CallOptions): Promise<Removed> {
    const r = await this.run("sandbox.delete", { sandbox: ref, force }, o);
    return { removed: r.entity?.id ?? null };
  }

  // ------------------------------------------------------------ the log

  /** A stream named by a network name or a container id means that entity's id. */
  private filterOf(q: EventQuery): EventFilter {
    let stream = q.stream;
    if (stream !== undefined) {
      const s = this.controller.current();
      stream = findNetwork(s, stream)?.id ?? findSandbox(s, stream)?.id ?? stream;
    }
    return {
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(stream !== undefined ? { stream } : {}),
      ...(q.type !== undefined ? { type: q.type } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
    };
  }

  /**
   * Pages through the log up to the head as it was when each page was read; with `follow`, goes on
   * looking for new events until the signal aborts or the `until` bound is passed. A bad query is
   * refused here, before the first event is asked for.
   */
  events(q: EventQuery = {}): AsyncGenerator<StoredEvent> {
    return this.pages(this.filterOf(q), q);
  }

  private async *pages(filter: EventFilter, q: EventQuery): AsyncGenerator<StoredEvent> {
    const log = this.controller.store.log;
    let since = filter.since ?? 0;
    for (;;) {
      if (q.signal?.aborted) return;
      const head = log.head().seq;
      const upTo = filter.until !== undefined ? Math.min(filter.until, head) : head;
      if (since <= upTo) {
        const rows = [...log.rows({ ...filter, since, until: upTo }, eventPage)];
        for (const r of rows) yield toEvent(r);
        if (rows.length === eventPage) {
          since = rows.at(-1)!.seq + 1;
          await new Promise((r) => setImmediate(r));
          continue;
        }
        since = upTo + 1;
      }
      if (!q.follow || (filter.until !== undefined && since > filter.until)) return;
      try {
        await sleep(followPollMs, undefined, q.signal ? { signal: q.signal } : {});
      } catch {
        return; // aborted
      }
    }
  }

  async state(until?: number | Date): Promise<StateView> {
    const head = this.controller.headOf();
    // The state now is the fold of the whole log (replay determinism, invariant 1): no need to fold it again.
    if (until === undefined || (typeof until === "number" && until >= head.seq)) return stateView(this.controller.current());
    return this.controller.stateAt(until);
  }

  async head(): Promise<Head> {
    return this.controller.headOf();
  }

  async verify(o: { expectHead?: string } = {}): Promise<VerifyReport> {
    return this.controller.verify(o.expectHead !== undefined ? { expectHead: o.expectHead } : {});
  }

  async snapshot() {
    return this.controller.snapshot();
  }

  async recover(): Promise<RecoveryReport> {
    return this.controller.recover();
  }

  async drivers(): Promise<DriverView[]> {
    // Plugins register on first use; activate every one discovery sees so that the list shows them.
    await this.controller.registry.discoverAll();
    return this.controller.registry.list().map((d) => ({
      name: d.name,
      scope: d.capability.dataScope,
      connectivityScope: d.capability.connectivityScope ?? d.capability.dataScope,
      origin: d.origin,
    }));
  }

  async health(): Promise<Health> {
    return {
      status: "ok",
      version,
      pid: process.pid,
      db: this.controller.path,
      head: this.controller.headOf(),
      stats: this.controller.stats(),
    };
  }

  async close(): Promise<void> {
    await this.controller.close();
  }
}

/** This host's copy of the cluster log, folded; null when it cannot be read (`verify` says why). */
function readCopySafely(c: Controller): ClusterState | null {
  try {
    return readCopy(c.store.cluster).state;
  } catch {
    return null;
  }
}

function isClusterNode(g: GlobalScope): g is ClusterNode {
  return "status" in g && "nodes" in g;
}
