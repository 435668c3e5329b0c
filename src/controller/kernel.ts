import type { State } from "../domain/state.js";
import { Firewall } from "../drivers/bridge/firewall.js";
import { bridgeModule } from "../drivers/bridge/index.js";
import type { DriverModule, StateProjection } from "../drivers/contract.js";
import { hostModule } from "../drivers/host/index.js";
import { SandboxFiles } from "../drivers/netns/files.js";
import { netnsSandboxDriver } from "../drivers/netns/index.js";
import { isNamespace } from "../drivers/netns/namespaces.js";
import { nullModule } from "../drivers/null/index.js";
import { DriverRegistry } from "../drivers/registry.js";
import { RemotePlugins } from "../drivers/remote/index.js";
import type { GcContext } from "../effects/gc.js";
import type { OpenOptions } from "./options.js";
import { isRoot } from "./paths.js";

const builtinModules: DriverModule[] = [nullModule, hostModule];
/** Drivers that program the kernel, installed only where netledger runs as root. */
const kernelModules: DriverModule[] = [bridgeModule];

/** The drivers a controller reaches, and what they keep in step with the state outside the log. */
export interface Kernel {
  registry: DriverRegistry;
  /** Each sandbox's hosts and resolv.conf. */
  sandboxFiles: SandboxFiles;
  /** Projections in the order they are brought up to date: sandbox files, then the nftables table. */
  projections: StateProjection[];
  namespaceExists(key: string): boolean;
  gcContext(state: State): GcContext;
}

/** Registers the built-in drivers, the embedder's, and plugin discovery; calls no driver. */
export async function openKernel(opts: OpenOptions, databaseId: string, runDir: string): Promise<Kernel> {
  const registry = new DriverRegistry();
  for (const m of builtinModules) await m.init(registry.callback("builtin"), {});
  // Bridges, veths, namespaces and nftables need root. Without it they are not installed, so a
  // command that needs them is refused before anything is recorded (use -d null, --host-netns).
  if (isRoot()) {
    for (const m of kernelModules) await m.init(registry.callback("builtin"), {});
    registry.registerSandboxDriver(netnsSandboxDriver());
  }
  for (const m of opts.drivers ?? []) await m.init(registry.callback("embedder"), {});
  for (const m of opts.ipamDrivers ?? []) await m.initIpam(registry.ipam.callback("embedder"), {});
  if (opts.sandboxDriver) registry.registerSandboxDriver(opts.sandboxDriver);
  // Plugins register under their own names on first use (lazy discovery); nothing is called here.
  if (opts.plugins !== false)
    new RemotePlugins({
      ...(opts.plugins ?? {}),
      ...(opts.pluginDirs ? { dirs: opts.pluginDirs } : {}),
      ...(opts.pluginTimeoutMs !== undefined ? { timeoutMs: opts.pluginTimeoutMs } : {}),
    }).attach(registry);
  const sandboxFiles = new SandboxFiles(runDir, databaseId);
  const firewall = isRoot() ? new Firewall(databaseId) : undefined;
  const netnsDir = `${runDir}/netns`;
  return {
    registry,
    sandboxFiles,
    projections: [sandboxFiles, ...(firewall ? [firewall] : [])],
    namespaceExists: isNamespace,
    gcContext: (state) => ({ state, databaseId, netnsDir, files: sandboxFiles, ...(firewall ? { firewall } : {}) }),
  };
}
