import { NetledgerError } from "../../domain/errors.js";
import { retryAbort, retryDelayMs } from "./backoff.js";
import { activateResponse } from "./api.js";
import { type ClientOptions, PluginClient } from "./client.js";
import { lookupPlugin, type PluginSpec, scanPlugins } from "./discovery.js";

/**
 * The in-process plugin registry of moby's pkg/plugins (plugin-protocol.md §2.6): plugins found by
 * discovery, activated once (`/Plugin.Activate`, the manifest) and cached; handlers per subsystem run
 * once per plugin after activation, for every subsystem its manifest lists, whichever was asked for. A
 * failed activation un-caches the plugin so that the next `get` finds it again. Handlers run in order
 * under the plugin's activation, as Docker's do, so a `get` returns once the plugin is registered.
 */
export type Handler = (name: string, client: PluginClient) => Promise<void>;

export interface Plugin {
  name: string;
  spec: PluginSpec;
  client: PluginClient;
  manifest?: { implements: string[] };
  handlersRun: boolean;
  /** The activation under way, if any: one at a time per plugin. */
  activating?: Promise<void>;
}

export interface PluginRegistryOptions extends ClientOptions {
  dirs: readonly string[];
  /** How long a lookup keeps looking for a plugin that is not there (Docker: 30 s, with back-off; default 0). */
  lookupBudgetMs?: number;
}

export class PluginRegistry {
  private readonly storage = new Map<string, Plugin>();
  private readonly handlers = new Map<string, Handler[]>();

  constructor(readonly opts: PluginRegistryOptions) {}

  /** Adds a handler for a subsystem; activated plugins that implement it run their handlers again on their next `get`. */
  handle(subsystem: string, fn: Handler): void {
    const list = this.handlers.get(subsystem) ?? [];
    list.push(fn);
    this.handlers.set(subsystem, list);
    for (const p of this.storage.values()) if (p.manifest?.implements.includes(subsystem)) p.handlersRun = false;
  }

  /** The plugin's spec, or undefined when discovery finds nothing by that name (retried within the lookup budget). */
  async lookup(name: string): Promise<PluginSpec | undefined> {
    const first = Date.now();
    for (let n = 0; ; n++) {
      const spec = lookupPlugin(name, this.opts.dirs);
      if (spec) return spec;
      const delay = retryDelayMs(n);
      if (retryAbort(delay, Date.now() - first, this.opts.lookupBudgetMs ?? 0)) return undefined;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /**
   * Docker's Get: finds and activates `name`, runs its handlers, and returns it when its manifest lists
   * `subsystem`. Undefined when there is no plugin by that name; throws when it cannot be activated or
   * does not implement the subsystem.
   */
  async get(name: string, subsystem: string): Promise<Plugin | undefined> {
    let p = this.storage.get(name);
    if (!p) {
      const spec = await this.lookup(name);
      if (!spec) return undefined;
      p = this.storage.get(name);
      if (!p) {
        p = { name, spec, client: new PluginClient(spec, this.opts), handlersRun: false };
        this.storage.set(name, p);
      }
    }
    try {
      await this.activate(p);
    } catch (e) {
      if (this.storage.get(name) === p) this.storage.delete(name);
      p.client.close();
      throw e;
    }
    if (!p.manifest!.implements.includes(subsystem))
      throw new NetledgerError(
        "InvalidParameter",
        `plugin ${name} does not implement the requested driver: it implements ${p.manifest!.implements.join(", ") || "nothing"}, not ${subsystem}`,
        { plugin: name, requested: subsystem },
      );
    return p;
  }

  private async activate(p: Plugin): Promise<void> {
    while (p.activating) await p.activating.catch(() => undefined);
    if (p.manifest && p.handlersRun) return;
    p.activating = (async () => {
      if (!p.manifest) {
        const r = await p.client.call("Plugin.Activate", undefined, activateResponse, { idempotent: true });
        p.manifest = { implements: r.Implements ?? [] };
      }
      if (!p.handlersRun) {
        // Set first: a handler that fails is not run again (Docker marks them run whatever they do).
        p.handlersRun = true;
        for (const iface of p.manifest.implements) for (const fn of this.handlers.get(iface) ?? []) await fn(p.name, p.client);
      }
    })();
    try {
      await p.activating;
    } finally {
      p.activating = undefined;
    }
  }

  /** Docker's Scan: the names discovery sees. */
  scan(): string[] {
    return scanPlugins(this.opts.dirs);
  }

  /** Activated plugins. */
  plugins(): Plugin[] {
    return [...this.storage.values()].filter((p) => p.manifest);
  }

  close(): void {
    for (const p of this.storage.values()) p.client.close();
    this.storage.clear();
  }
}
