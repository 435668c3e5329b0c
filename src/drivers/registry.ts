import type { DriverInfo } from "../domain/decide/index.js";
import { sandboxDriver } from "../domain/decide/index.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { isValidName } from "../domain/names.js";
import type { Capability, GarbageCollector, NetworkDriver, RegisterDriver, SandboxDriver, StateProjection } from "./contract.js";
import { IpamRegistry } from "./ipamRegistry.js";

export interface RegisteredDriver {
  name: string;
  driver: NetworkDriver;
  capability: Capability;
  /** "builtin", "plugin", or "embedder" (registered through Controller.registerDriver). */
  origin: string;
}

/** Looks a driver name up somewhere else (plugin discovery) and registers it if found. */
export type DriverResolver = (name: string) => Promise<void>;

/**
 * The driver registry (libnetwork's drvregistry). Drivers arrive only through the registration
 * callback; a name that is not registered is looked up lazily by the resolvers (plugin discovery)
 * on first use, as libnetwork does.
 */
export class DriverRegistry {
  private readonly drivers = new Map<string, RegisteredDriver>();
  private readonly resolvers: DriverResolver[] = [];
  /** Registers every driver that can be found (plugin discovery's GetAll), for listings. */
  private readonly enumerators: (() => Promise<void>)[] = [];
  private sandbox: SandboxDriver | undefined;
  /** The IPAM drivers, kept beside the network drivers (libnetwork's drvregistry holds both). */
  readonly ipam = new IpamRegistry();
  /** What the drivers keep in step with the state outside the log, in the order it is brought up to date. */
  private readonly stateProjections: StateProjection[] = [];
  /** Collectors of parts that are not a registered driver (the sandbox layer's files, with or without its driver). */
  private readonly extraCollectors: GarbageCollector[] = [];

  /** The callback for driver modules of a given origin. */
  callback(origin: string): RegisterDriver {
    return (name, driver, capability) => this.register(name, driver, capability, origin);
  }

  private registrations = 0;

  /** Changes whenever a driver of either kind is registered (plugins register during calls too). */
  get generation(): number {
    return this.registrations + this.ipam.generation;
  }

  register(name: string, driver: NetworkDriver, capability: Capability, origin = "embedder"): void {
    if (!isValidName(name)) throw invalid(`invalid driver name "${name}"`);
    if (name === sandboxDriver) throw invalid(`"${sandboxDriver}" is reserved for the sandbox layer`);
    if (this.drivers.has(name)) throw conflict(`a driver named ${name} is already registered`);
    if (capability.dataScope !== "local" && capability.dataScope !== "global")
      throw invalid(`driver ${name}: scope must be local or global, not "${String(capability.dataScope)}"`);
    this.drivers.set(name, { name, driver, capability, origin });
    this.registrations++;
  }

  registerSandboxDriver(driver: SandboxDriver): void {
    this.sandbox = driver;
    this.registrations++;
  }

  sandboxDriver(): SandboxDriver | undefined {
    return this.sandbox;
  }

  addProjection(p: StateProjection): void {
    this.stateProjections.push(p);
  }

  /** The state projections, in the order they were added. */
  projections(): readonly StateProjection[] {
    return this.stateProjections;
  }

  addCollector(c: GarbageCollector): void {
    this.extraCollectors.push(c);
  }

  /** Who collects garbage (`netledger gc`): the network drivers that do, the sandbox driver, the other parts; each once. */
  collectors(): GarbageCollector[] {
    const all = [...[...this.drivers.values()].map((d) => d.driver.gc), this.sandbox?.gc, ...this.extraCollectors];
    return [...new Set(all.filter((c): c is GarbageCollector => c !== undefined))];
  }

  addResolver(r: DriverResolver): void {
    this.resolvers.push(r);
  }

  addEnumerator(e: () => Promise<void>): void {
    this.enumerators.push(e);
  }

  /** Registers every driver the enumerators can find (each plugin discovery sees), so that a listing shows them. */
  async discoverAll(): Promise<void> {
    for (const e of this.enumerators) await e();
  }

  get(name: string): RegisteredDriver | undefined {
    return this.drivers.get(name);
  }

  require(name: string): RegisteredDriver {
    const d = this.drivers.get(name);
    if (!d) throw notFound(`network driver "${name}" is not registered: no built-in driver or plugin by that name`);
    return d;
  }

  /** Makes sure `name` is registered if any resolver can find it; errors of the resolvers propagate. */
  async ensure(name: string): Promise<void> {
    if (this.drivers.has(name) || name === sandboxDriver) return;
    for (const r of this.resolvers) {
      await r(name);
      if (this.drivers.has(name)) return;
    }
  }

  /**
   * Whether what a call of this driver makes outlives a reboot of this machine, so that its intent must
   * be on disk before the call is made. The built-in drivers and the sandbox layer make kernel objects
   * (links, namespaces, nftables rules), which a power loss takes with it, and files the collector finds;
   * a plugin's or an embedder's driver may keep what it made anywhere, and is assumed to.
   */
  outlivesReboot(driver: string, ipam: boolean): boolean {
    if (!ipam && driver === sandboxDriver) return false;
    return (ipam ? this.ipam.get(driver)?.origin : this.drivers.get(driver)?.origin) !== "builtin";
  }

  list(): RegisteredDriver[] {
    return [...this.drivers.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What decide() knows of the drivers: plain data. */
  info(): Record<string, DriverInfo> {
    const out: Record<string, DriverInfo> = {};
    for (const d of this.drivers.values()) {
      out[d.name] = {
        name: d.name,
        scope: d.capability.dataScope,
        connectivityScope: d.capability.connectivityScope ?? d.capability.dataScope,
        sideEffects: d.capability.sideEffects,
        usesIpam: d.capability.usesIpam,
      };
    }
    if (this.sandbox)
      out[sandboxDriver] = { name: sandboxDriver, scope: "local", connectivityScope: "local", sideEffects: true, usesIpam: false };
    return out;
  }

  async close(): Promise<void> {
    for (const d of this.drivers.values()) await d.driver.close?.();
    await this.sandbox?.close?.();
    await this.ipam.close();
  }
}
