import type { IpamDriverInfo } from "../domain/decide/index.js";
import { conflict, invalid, NetledgerError, notFound } from "../domain/errors.js";
import { defaultIpam, globalAddressSpace, localAddressSpace, nullIpam } from "../domain/ipam/defaults.js";
import { isValidName } from "../domain/names.js";
import type { AddressSpaces, IpamCapability, IpamDriver, RegisterIpamDriver } from "./ipamContract.js";

export interface RegisteredIpam {
  name: string;
  /** null for the built-in default and null IPAMs: they are pure and decided in the domain. */
  driver: IpamDriver | null;
  capability: IpamCapability;
  addressSpaces: AddressSpaces;
  /** "builtin", "plugin", or "embedder". */
  origin: string;
}

/** Looks an IPAM driver name up somewhere else (plugin discovery) and registers it if found. */
export type IpamResolver = (name: string) => Promise<void>;

const noCapability: IpamCapability = { requiresMacAddress: false, requiresRequestReplay: false };

/**
 * The IPAM driver registry, beside the network driver registry (libnetwork's drvregistry keeps both).
 * The built-in default and null IPAMs are always there; others arrive through the registration
 * callback, or lazily through resolvers (plugin discovery) on first use.
 */
export class IpamRegistry {
  private readonly drivers = new Map<string, RegisteredIpam>();
  private readonly resolvers: IpamResolver[] = [];
  private registrations = 0;

  /** Counts registrations, so that what was derived from the registry can tell it is stale. */
  get generation(): number {
    return this.registrations;
  }

  constructor() {
    this.drivers.set(defaultIpam, {
      name: defaultIpam,
      driver: null,
      capability: noCapability,
      addressSpaces: { localDefaultAddressSpace: localAddressSpace, globalDefaultAddressSpace: globalAddressSpace },
      origin: "builtin",
    });
    this.drivers.set(nullIpam, {
      name: nullIpam,
      driver: null,
      capability: noCapability,
      addressSpaces: { localDefaultAddressSpace: "null", globalDefaultAddressSpace: "null" },
      origin: "builtin",
    });
  }

  callback(origin: string): RegisterIpamDriver {
    return (name, driver, capability) => this.register(name, driver, capability, origin);
  }

  async register(name: string, driver: IpamDriver, capability: Partial<IpamCapability> = {}, origin = "embedder"): Promise<void> {
    if (!isValidName(name)) throw invalid(`invalid IPAM driver name "${name}"`);
    const existing = this.drivers.get(name);
    if (existing?.origin === "builtin") throw conflict(`"${name}" is a built-in IPAM driver; another cannot take its name`);
    if (existing) throw conflict(`an IPAM driver named ${name} is already registered`);
    let spaces: AddressSpaces;
    try {
      spaces = await driver.getDefaultAddressSpaces();
    } catch (e) {
      throw new NetledgerError("DriverError", `IPAM driver "${name}" failed to return default address spaces: ${(e as Error).message}`);
    }
    if (!spaces?.localDefaultAddressSpace || !spaces.globalDefaultAddressSpace)
      throw new NetledgerError("DriverError", `IPAM driver "${name}" returned empty default address spaces`);
    this.drivers.set(name, { name, driver, capability: { ...noCapability, ...capability }, addressSpaces: spaces, origin });
    this.registrations++;
  }

  addResolver(r: IpamResolver): void {
    this.resolvers.push(r);
  }

  get(name: string): RegisteredIpam | undefined {
    return this.drivers.get(name);
  }

  require(name: string): RegisteredIpam {
    const d = this.drivers.get(name);
    if (!d) throw notFound(`IPAM driver "${name}" is not registered: no built-in IPAM driver or plugin by that name`);
    return d;
  }

  /** Makes sure `name` is registered if any resolver can find it; errors of the resolvers propagate. */
  async ensure(name: string): Promise<void> {
    for (const r of this.resolvers) {
      if (this.drivers.has(name)) return;
      await r(name);
    }
  }

  list(): RegisteredIpam[] {
    return [...this.drivers.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What decide() knows of the IPAM drivers besides the built-in ones: plain data. */
  info(): Record<string, IpamDriverInfo> {
    const out: Record<string, IpamDriverInfo> = {};
    for (const d of this.drivers.values()) {
      if (d.origin === "builtin") continue;
      out[d.name] = {
        name: d.name,
        sideEffects: true,
        localAddressSpace: d.addressSpaces.localDefaultAddressSpace,
        globalAddressSpace: d.addressSpaces.globalDefaultAddressSpace,
        requiresMacAddress: d.capability.requiresMacAddress,
      };
    }
    return out;
  }

  async close(): Promise<void> {
    for (const d of this.drivers.values()) await d.driver?.close?.();
  }
}
