import { isNetledgerError, NetledgerError } from "../../domain/errors.js";
import type { DriverRegistry } from "../registry.js";
import { ipamSubsystem, networkSubsystem } from "./api.js";
import { defaultPluginTimeoutMs } from "./client.js";
import { pluginDirs } from "./discovery.js";
import { RemoteIpamDriver } from "./ipamDriver.js";
import { type InterfacePlacement, kernelPlacement } from "./joinInterface.js";
import { RemoteNetworkDriver } from "./networkDriver.js";
import { PluginRegistry } from "./pluginRegistry.js";

/**
 * The remote module (libnetwork's drivers/remote and ipams/remote `Init`): hooks the registration
 * callbacks of the driver registry to plugin discovery. Each plugin whose manifest lists NetworkDriver
 * registers under its own name with the scope its GetCapabilities gives; each that lists IpamDriver
 * registers as an IPAM driver. Lookup is lazy, on the first use of a name the registry does not know
 * (registry.ensure); there is no "remote" driver of its own. Nothing is called at open.
 */
export interface RemoteOptions {
  /** Discovery directories; default NETLEDGER_PLUGIN_DIRS, else Docker's. */
  dirs?: readonly string[];
  /** The timeout of one plugin call (default 30 s). */
  timeoutMs?: number;
  /** How long to retry a plugin that cannot be reached before the effect layer's back-off takes over (default 0). */
  retryBudgetMs?: number;
  /** How long a lookup waits for a plugin file to appear (Docker: 30 s; default 0). */
  lookupBudgetMs?: number;
  placement?: InterfacePlacement;
}

export interface PluginListing {
  name: string;
  address: string;
  source: string;
  implements: string[];
  /** The network driver's scope, when registered as one. */
  scope?: string;
  connectivityScope?: string;
  /** Why it could not be activated or registered. */
  error?: string;
}

export class RemotePlugins {
  readonly registry: PluginRegistry;
  /** Why a plugin's handler could not register it, by `subsystem:name`. */
  private readonly failures = new Map<string, NetledgerError>();
  private readonly placement: InterfacePlacement;

  constructor(opts: RemoteOptions = {}) {
    this.registry = new PluginRegistry({
      dirs: pluginDirs(opts.dirs),
      timeoutMs: opts.timeoutMs ?? defaultPluginTimeoutMs,
      retryBudgetMs: opts.retryBudgetMs ?? 0,
      lookupBudgetMs: opts.lookupBudgetMs ?? 0,
    });
    this.placement = opts.placement ?? kernelPlacement;
  }

  /** Hooks discovery into a driver registry: the handlers register plugins, the resolvers look names up. */
  attach(drivers: DriverRegistry): void {
    const registerNetwork = drivers.callback("plugin");
    const registerIpam = drivers.ipam.callback("plugin");
    this.registry.handle(networkSubsystem, async (name, client) => {
      const d = new RemoteNetworkDriver(name, client, this.placement);
      try {
        registerNetwork(name, d, await d.getCapabilities());
        this.failures.delete(`${networkSubsystem}:${name}`);
      } catch (e) {
        this.failures.set(`${networkSubsystem}:${name}`, asError(e));
      }
    });
    this.registry.handle(ipamSubsystem, async (name, client) => {
      const d = new RemoteIpamDriver(name, client);
      try {
        await registerIpam(name, d, await d.getCapabilities());
        this.failures.delete(`${ipamSubsystem}:${name}`);
      } catch (e) {
        this.failures.set(`${ipamSubsystem}:${name}`, asError(e));
      }
    });
    drivers.addResolver((name) => this.resolve(name, networkSubsystem, () => drivers.get(name) !== undefined));
    drivers.ipam.addResolver((name) => this.resolve(name, ipamSubsystem, () => drivers.ipam.get(name) !== undefined));
    drivers.addEnumerator(() => this.activateAll(networkSubsystem));
  }

  /**
   * Finds, activates and registers plugin `name` for `subsystem`. Returns quietly when there is no
   * plugin by that name (the registry then says so); throws when there is one that cannot be reached
   * (PluginUnavailable) or registered (its GetCapabilities failed, say).
   */
  async resolve(name: string, subsystem: string, registered: () => boolean): Promise<void> {
    const p = await this.registry.get(name, subsystem);
    if (!p || registered()) return;
    const why = this.failures.get(`${subsystem}:${name}`);
    throw new NetledgerError(
      why?.code === "PluginUnavailable" ? "PluginUnavailable" : "DriverError",
      `plugin ${name} is not registered as ${subsystem === networkSubsystem ? "a network" : "an IPAM"} driver: ${why?.message ?? "its registration failed"}`,
      { plugin: name },
    );
  }

  /** Activates every plugin discovery sees (Docker's GetAll), registering what they implement. */
  async activateAll(subsystem: string): Promise<void> {
    await Promise.allSettled(this.registry.scan().map((n) => this.registry.get(n, subsystem)));
  }

  /** Every plugin discovery sees, activated, with what it implements and the scope it registered with. */
  async list(drivers: DriverRegistry): Promise<PluginListing[]> {
    const out: PluginListing[] = [];
    for (const name of this.registry.scan()) {
      const row: PluginListing = { name, address: "", source: "", implements: [] };
      try {
        const spec = await this.registry.lookup(name);
        if (spec) Object.assign(row, { address: spec.addr, source: spec.source });
        await this.registry.get(name, networkSubsystem).catch((e: unknown) => {
          // A plugin that is only an IPAM driver is still listed; other failures are its error.
          if (!(isNetledgerError(e) && e.code === "InvalidParameter" && /does not implement/.test(e.message))) throw e;
        });
        const p = this.registry.plugins().find((x) => x.name === name);
        row.implements = p?.manifest?.implements ?? [];
        const d = drivers.get(name);
        if (d?.origin === "plugin") {
          row.scope = d.capability.dataScope;
          row.connectivityScope = d.capability.connectivityScope ?? d.capability.dataScope;
        }
        const why = [...this.failures].filter(([k]) => k.endsWith(`:${name}`)).map(([, e]) => e.message);
        if (why.length) row.error = why.join("; ");
      } catch (e) {
        row.error = (e as Error).message;
      }
      out.push(row);
    }
    return out;
  }

  close(): void {
    this.registry.close();
  }
}

function asError(e: unknown): NetledgerError {
  return isNetledgerError(e) ? e : new NetledgerError("DriverError", e instanceof Error ? e.message : String(e));
}

