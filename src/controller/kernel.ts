import { DnsService } from "../dns/service.js";
import { type Builtins, installBuiltins } from "../drivers/builtin.js";
import { DriverRegistry } from "../drivers/registry.js";
import { RemotePlugins } from "../drivers/remote/index.js";
import type { OpenOptions } from "./options.js";
import { isRoot } from "./paths.js";

/** The drivers a controller reaches, and what the built-in ones answer about the kernel. */
export interface Kernel {
  registry: DriverRegistry;
  builtins: Builtins;
  /** The embedded DNS server, a state projection: as root, open for writing, unless turned off. */
  dns?: DnsService;
}

/**
 * Registers the built-in drivers (the kernel ones only where netledger runs as root), the embedder's,
 * and plugin discovery. Calls no driver: plugins register under their own names on first use.
 */
export async function openKernel(opts: OpenOptions, databaseId: string, runDir: string): Promise<Kernel> {
  const registry = new DriverRegistry();
  const builtins = await installBuiltins(registry, { databaseId, runDir, root: isRoot() });
  for (const m of opts.drivers ?? []) await m.init(registry.callback("embedder"), {});
  for (const m of opts.ipamDrivers ?? []) await m.initIpam(registry.ipam.callback("embedder"), {});
  if (opts.sandboxDriver) registry.registerSandboxDriver(opts.sandboxDriver);
  if (opts.plugins !== false)
    new RemotePlugins({
      ...(opts.plugins ?? {}),
      ...(opts.pluginDirs ? { dirs: opts.pluginDirs } : {}),
      ...(opts.pluginTimeoutMs !== undefined ? { timeoutMs: opts.pluginTimeoutMs } : {}),
    }).attach(registry);
  // After the sandbox files and the nftables table: a join's name answers once its files are written.
  const dns = isRoot() && !opts.readonly && opts.dns !== false ? new DnsService(opts.dns ?? {}) : undefined;
  if (dns) registry.addProjection(dns);
  return { registry, builtins, ...(dns ? { dns } : {}) };
}
