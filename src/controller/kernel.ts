import { type Builtins, installBuiltins } from "../drivers/builtin.js";
import { DriverRegistry } from "../drivers/registry.js";
import { RemotePlugins } from "../drivers/remote/index.js";
import type { OpenOptions } from "./options.js";
import { isRoot } from "./paths.js";

/** The drivers a controller reaches, and what the built-in ones answer about the kernel. */
export interface Kernel {
  registry: DriverRegistry;
  builtins: Builtins;
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
  return { registry, builtins };
}
