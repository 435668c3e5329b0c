import { DriverRegistry } from "../drivers/registry.js";
import { pluginDirs as discoveryDirs } from "../drivers/remote/discovery.js";
import { type PluginListing, RemotePlugins } from "../drivers/remote/index.js";

/**
 * Plugin discovery as the CLI asks for it, so that the CLI reaches drivers only through the API: where
 * plugins are looked for, and what is found there. Needs no database.
 */


/** The plugin directories: those given (--plugin-dir), else NETLEDGER_PLUGIN_DIRS, else Docker's. */
export function pluginDirs(given: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  return discoveryDirs(given, env);
}

export interface ListPluginsOptions {
  dirs: string[];
  /** How long one plugin call may take. */
  timeoutMs?: number;
}

/** Every plugin found in `dirs`, each activated to ask what it implements (Docker's v1 plugins). */
export async function listPlugins(opts: ListPluginsOptions): Promise<PluginListing[]> {
  const registry = new DriverRegistry();
  const remote = new RemotePlugins({ dirs: opts.dirs, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  remote.attach(registry);
  try {
    return await remote.list(registry);
  } finally {
    remote.close();
    await registry.close();
  }
}
