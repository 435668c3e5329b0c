import { readFileSync, statSync } from "node:fs";
import { decideQuestion, dnsTable, type DnsTable, type RemoteEndpoint, resolverNetworks, touchesDns } from "../domain/dnsRecords.js";
import { ipText, tryParseIp } from "../domain/ipam/address.js";
import { nameservers } from "../domain/resolvconf.js";
import type { Touched } from "../domain/projection.js";
import type { State } from "../domain/state.js";
import type { StateProjection } from "../drivers/contract.js";
import { defaultForwardOptions, type ForwardOptions, Forwarder } from "./forward.js";
import { defaultListenerLimits, Listener, type ListenerLimits } from "./listener.js";
import { codeReply, localReply, readQuery, truncatedReply, udpLimit } from "./wire.js";

export interface DnsOptions {
  /** The port servers listen on and forward to (default 53). */
  port?: number;
  /** The host's resolv.conf, whose servers answer what the state cannot (default /etc/resolv.conf). */
  hostResolvConf?: string;
  /** How often a serving process looks for other processes' commits (default 250 ms). */
  refreshMs?: number;
  /** How often a listener that could not be bound is tried again (default 1 s). */
  retryMs?: number;
  forward?: Partial<ForwardOptions>;
  limits?: Partial<ListenerLimits>;
}

/** The endpoints on other nodes of the networks asked for (a cluster node's, over its latest folded state). */
export type PeerSource = (networks: ReadonlySet<string>) => readonly RemoteEndpoint[];

const emptyTable: DnsTable = { networks: new Map(), clients: new Map(), ptr: new Map() };

/** The largest query read: a question is at most a few hundred bytes; EDNS's 4096 is generous. */
const maxQueryBytes = 4096;

/**
 * netledger's embedded DNS server: a state projection (drivers/contract.ts) whose output is the table
 * its servers answer from (domain/dnsRecords.ts) and the set of listeners — one per gateway address
 * of each network with a resolver, UDP and TCP, as podman's aardvark-dns listens on each network's
 * gateway. Brought up to date after every fold, so a join answers as soon as its commit is folded;
 * rebuilt whole at open and by recovery. Any process that holds the log open for writing runs one;
 * the first to bind an address serves it, and the others keep trying, so when it dies another takes
 * over. A serving process also folds other processes' commits every `refreshMs`.
 */
export class DnsService implements StateProjection {
  readonly name = "embedded DNS";
  private table: DnsTable = emptyTable;
  /** A listening address → the network whose server it is, from the table. */
  private owners = new Map<string, string>();
  private readonly listeners = new Map<string, Listener>();
  private readonly forwarder: Forwarder;
  private readonly port: number;
  private reconciling: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private refresh: (() => void) | undefined;
  private closed = false;
  private hostServers: { at: number; mtime: number; servers: string[] } | undefined;
  /** The state last projected, and the endpoints on other nodes a cluster node handed over. */
  private state: State | undefined;
  private remote: readonly RemoteEndpoint[] = [];
  private remoteKey = "[]";
  private peerSource: PeerSource = () => [];

  constructor(private readonly o: DnsOptions = {}) {
    this.port = o.port ?? 53;
    this.forwarder = new Forwarder({ ...defaultForwardOptions, port: this.port, ...o.forward });
  }

  /** How a serving process folds other processes' commits: the controller's refresh. */
  follow(refresh: () => void): void {
    this.refresh = refresh;
  }

  update(state: State, touched: Touched, before: State): Promise<void> {
    if (touchesDns(before, state, touched)) return this.apply(state);
    this.state = state;
    return Promise.resolve();
  }

  /**
   * The endpoints of global networks on other nodes (domain/cluster/dnsPeers.ts), handed over by the
   * cluster node after its folds of the cluster log as a source asked only for the networks served here
   * (none: nothing is asked, whatever the size of the cluster): the table is rebuilt only when they changed.
   */
  peers(source: PeerSource): Promise<void> {
    this.peerSource = source;
    if (!this.state) return Promise.resolve();
    return this.takeRemote(new Set(this.table.networks.keys())) ? this.apply(this.state) : Promise.resolve();
  }

  /** Asks the peer source for the served networks' endpoints; whether they changed. */
  private takeRemote(networks: ReadonlySet<string>): boolean {
    const remote = networks.size === 0 ? [] : this.peerSource(networks);
    const key = JSON.stringify(remote);
    if (key === this.remoteKey) return false;
    this.remote = remote;
    this.remoteKey = key;
    return true;
  }

  rebuild(state: State): Promise<void> {
    return this.apply(state);
  }

  /** The addresses this process serves now. */
  serving(): string[] {
    return [...this.listeners.keys()];
  }

  private apply(state: State): Promise<void> {
    if (this.closed) return Promise.resolve();
    // A network served from now on (the table's are those served until now) needs its peers: asked again.
    if (state !== this.state) {
      const served = resolverNetworks(state);
      if ([...served].join() !== [...this.table.networks.keys()].join()) this.takeRemote(served);
    }
    this.state = state;
    this.table = dnsTable(state, this.remote);
    const owners = new Map<string, string>();
    for (const n of this.table.networks.values()) for (const g of n.gateways) owners.set(g, n.id);
    this.owners = owners;
    return this.reconcile();
  }

  /** Opens the listeners the table wants and closes those it no longer does; one pass at a time. */
  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(async () => {
      if (this.closed) return;
      for (const [address, l] of this.listeners)
        if (!this.owners.has(address)) {
          this.listeners.delete(address);
          await l.close();
        }
      let missing = false;
      for (const address of this.owners.keys()) {
        if (this.listeners.has(address)) continue;
        const l = new Listener(address, this.port, (q, client, tcp) => this.answer(address, q, client, tcp), {
          ...defaultListenerLimits,
          ...this.o.limits,
        });
        try {
          await l.open();
          if (this.closed) await l.close();
          else this.listeners.set(address, l);
        } catch {
          // EADDRINUSE: another process serves it; EADDRNOTAVAIL: the bridge has not got it yet.
          missing = true;
        }
      }
      this.schedule(missing);
    });
    return this.reconciling;
  }

  private schedule(missing: boolean): void {
    if (missing && !this.retry && !this.closed) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.reconcile();
      }, this.o.retryMs ?? 1_000);
      this.retry.unref();
    }
    const serving = this.listeners.size > 0;
    if (serving && !this.poll && this.refresh) {
      const refresh = this.refresh;
      this.poll = setInterval(() => {
        try {
          refresh();
        } catch {
          /* the controller is closing; close() stops this */
        }
      }, this.o.refreshMs ?? 250);
      this.poll.unref();
    } else if (!serving && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  /** One query's bytes from `client`, arriving at `address`: a reply, or undefined to drop it. */
  answer(address: string, msg: Buffer, client: string, tcp: boolean): Buffer | undefined | Promise<Buffer | undefined> {
    const q = readQuery(msg, tcp ? 65_535 : maxQueryBytes);
    if (q.kind === "drop") return undefined;
    if (q.kind === "error") return q.reply;
    const network = this.owners.get(address);
    const qtype = q.question.class === "IN" || q.question.class === undefined ? q.question.type : "";
    const d = network ? decideQuestion(this.table, network, client, q.question.name, qtype) : ({ kind: "refuse" } as const);
    if (d.kind !== "forward") {
      const reply = localReply(q, d);
      return !tcp && reply.length > udpLimit(q) ? truncatedReply(q) : reply;
    }
    const servers = (d.upstream.length > 0 ? d.upstream : this.hostNameservers()).filter((s) => !this.owners.has(s));
    if (servers.length === 0) return codeReply(q, "SERVFAIL");
    if (!this.forwarder.available) return codeReply(q, "REFUSED");
    return this.forwarder.forward(msg, servers, tcp).then((a) => a ?? codeReply(q, "SERVFAIL"));
  }

  /** The host's servers, re-read when its resolv.conf changes (looked at once a second at most). */
  private hostNameservers(): string[] {
    const path = this.o.hostResolvConf ?? "/etc/resolv.conf";
    const now = Date.now();
    if (this.hostServers && now - this.hostServers.at < 1_000) return this.hostServers.servers;
    let mtime = -1;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      /* no file: no servers */
    }
    if (this.hostServers && this.hostServers.mtime === mtime) {
      this.hostServers.at = now;
      return this.hostServers.servers;
    }
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch {
      /* no file */
    }
    const servers = nameservers(text).flatMap((s) => {
      const ip = tryParseIp(s);
      return ip ? [ipText(ip)] : [];
    });
    this.hostServers = { at: now, mtime, servers };
    return servers;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.poll) clearInterval(this.poll);
    this.retry = this.poll = undefined;
    await this.reconciling;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}
