import type { ExtraHost, Ipam, StoredEvent } from "../domain/events.js";
import type { DriverModule, SandboxDriver } from "../drivers/contract.js";
import type { IpamModule } from "../drivers/ipamContract.js";
import type { RemoteOptions } from "../drivers/remote/index.js";
import type { DnsOptions } from "../dns/service.js";
import type { Backoff } from "../effects/dispatcher.js";
import type { EntityRef } from "../effects/sink.js";

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
  /**
   * A log is long when this many events follow its latest snapshot (default 50,000): a writable open
   * that replayed more writes a snapshot at once, and a process that writes snapshots again whenever
   * its commits take the log this far past the latest one (in a later turn, never inside a commit).
   */
  snapshotEvery?: number;
  /** Told when a read-only open replayed at least `snapshotEvery` events (it writes no snapshot): the CLI says so. */
  onLongReplay?: (replayed: number) => void;
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
  /** The embedded DNS server (src/dns), run as root by a process open for writing; false for none. */
  dns?: DnsOptions | false;

  /**
   * Makes a writer a node of a cluster once its log is open and recovered (src/cluster/attach.ts
   * builds it from --cluster); what it returns is closed before the log is.
   */
  attachCluster?: (c: import("./controller.js").Controller) => Promise<{ close(): Promise<void> }>;
}

export interface CommandOptions {
  /** Idempotency key: a repeat returns the first result and appends nothing. */
  requestId?: string | undefined;
  /** Who is acting, for the audit trail. */
  actor?: string | undefined;
  /** The caller's own labels, kept in the events' metadata (a CNI runtime's CNI_ARGS). */
  labels?: Record<string, string> | undefined;

  /** The command mirrors what the cluster log decided (set by the cluster node, src/cluster): run it locally. */
  mirror?: boolean | undefined;
}

export interface CommandResult {
  /** The events this command appended (none when it was a repeat of a request id). */
  events: StoredEvent[];
  entity?: EntityRef;
  /** True when a request id had been seen before and nothing was appended. */
  repeated: boolean;
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
