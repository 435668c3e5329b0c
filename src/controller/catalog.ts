import type { Command } from "../domain/commands.js";
import type { DriverInfo, IpamDriverInfo } from "../domain/decide/index.js";
import type { NetworkRecord } from "../domain/state.js";
import type { Builtins } from "../drivers/builtin.js";
import type { DriverRegistry } from "../drivers/registry.js";

/**
 * The drivers as decide() sees them: the registry's answers as plain data, cached until a driver is
 * registered (a plugin found by discovery during a call makes the cache stale). Drivers are resolved
 * lazily before a command is decided, as libnetwork resolves them on first use.
 */
export class DriverCatalog {
  private drivers: Record<string, DriverInfo> | undefined;
  private ipam: Record<string, IpamDriverInfo> | undefined;
  /** The registry generation the two caches were taken at. */
  private generation = -1;

  constructor(
    readonly registry: DriverRegistry,
    private readonly builtins: Builtins,
  ) {}

  invalidate(): void {
    this.drivers = undefined;
    this.ipam = undefined;
  }

  private fresh(): void {
    if (this.generation === this.registry.generation) return;
    this.generation = this.registry.generation;
    this.invalidate();
  }

  driverInfo(): Record<string, DriverInfo> {
    this.fresh();
    return (this.drivers ??= this.registry.info());
  }

  ipamInfo(): Record<string, IpamDriverInfo> {
    this.fresh();
    return (this.ipam ??= this.registry.ipam.info());
  }

  /** A network driver by name, found by plugin discovery if need be; a built-in not installed here says why. */
  async ensureDriver(name: string): Promise<void> {
    if (this.registry.get(name)) return;
    await this.registry.ensure(name);
    this.drivers = undefined;
    const unavailable = this.registry.get(name) ? undefined : this.builtins.unavailable(name);
    if (unavailable) throw unavailable;
  }

  /**
   * Lets plugin discovery find the network and IPAM drivers a command needs before it is decided, as
   * libnetwork resolves drivers lazily: the network is looked up once for both.
   */
  async ensureFor(cmd: Command, network: (ref: string) => NetworkRecord | undefined): Promise<void> {
    let driver: string | undefined;
    let ipam: string | undefined;
    if (cmd.type === "network.create") {
      driver = cmd.driver;
      ipam = cmd.ipam.driver;
    } else if ("network" in cmd && typeof cmd.network === "string") {
      try {
        const n = network(cmd.network);
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
      this.ipam = undefined;
    }
  }
}
