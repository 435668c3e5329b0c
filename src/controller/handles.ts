import * as C from "../domain/collection.js";
import { notFound } from "../domain/errors.js";
import type { CommandInput } from "../domain/commands.js";
import type { PortBinding } from "../domain/events.js";
import { shortId } from "../domain/ids.js";
import { findEndpoint, findEndpointById } from "../domain/resolve.js";
import { type EndpointView, endpointView, type NetworkView, networkView, type SandboxView, sandboxView } from "../domain/views.js";
import type { State } from "../domain/state.js";
import type { CommandOptions, CommandResult } from "./options.js";

/** What a handle needs of the controller: the state, the command path, the driver, the sandbox files. */
export interface HandleHost {
  current(): State;
  run(input: CommandInput, opts?: CommandOptions): Promise<CommandResult>;
  endpointOperInfo(endpointId: string): Promise<Record<string, unknown>>;
  readonly sandboxFiles: { hostsPath(sandboxId: string): string; resolvConfPath(sandboxId: string): string };
}

/**
 * Handles on libnetwork's objects. A handle holds an id and reads the current state on every access,
 * so it never shows a stale copy; a handle whose entity has been deleted answers NotFound.
 */
export class Network {
  constructor(
    private readonly c: HandleHost,
    readonly id: string,
  ) {}

  private record() {
    const n = C.get(this.c.current().networks, this.id);
    if (!n) throw notFound(`network ${shortId(this.id)} no longer exists`);
    return n;
  }

  view(): NetworkView {
    return networkView(this.record());
  }

  // Read off the record: the view counts every pool's addresses in use, which these do not need.
  get name(): string {
    return this.record().name;
  }

  get driver(): string {
    return this.record().driver;
  }

  get scope(): "local" | "global" {
    return this.record().scope;
  }

  toJSON(): NetworkView {
    return this.view();
  }

  async createEndpoint(
    name: string,
    options: {
      ip?: string;
      ip6?: string;
      mac?: string;
      ports?: PortBinding[];
      aliases?: string[];
      driverOpts?: Record<string, string>;
    } & CommandOptions = {},
  ): Promise<Endpoint> {
    const { requestId, actor, ...rest } = options;
    const r = await this.c.run({ type: "endpoint.create", network: this.id, name, ...rest }, { requestId, actor });
    return new Endpoint(this.c, r.entity!.id, this.id);
  }

  endpoints(): Endpoint[] {
    const s = this.c.current();
    const n = C.get(s.networks, this.id);
    if (!n) return [];
    return C.keys(n.endpoints)
      .map((id) => C.get(s.endpoints, id)!)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id)))
      .map((e) => new Endpoint(this.c, e.id, this.id));
  }

  endpointByName(name: string): Endpoint | undefined {
    const s = this.c.current();
    const n = C.get(s.networks, this.id);
    const e = n && findEndpoint(s, n, name);
    return e ? new Endpoint(this.c, e.id, this.id) : undefined;
  }

  endpointById(id: string): Endpoint | undefined {
    const e = findEndpointById(this.c.current(), id);
    return e && e.network === this.id ? new Endpoint(this.c, e.id, this.id) : undefined;
  }

  /** libnetwork's Network.Delete; refused while endpoints remain unless `force`. */
  async delete(options: { force?: boolean } & CommandOptions = {}): Promise<void> {
    const { requestId, actor, force } = options;
    await this.c.run({ type: "network.delete", network: this.id, force: force ?? false }, { requestId, actor });
  }
}

export class Endpoint {
  constructor(
    private readonly c: HandleHost,
    readonly id: string,
    /** The endpoint's network, when the maker of the handle knows it: it never changes. */
    private networkId?: string,
  ) {}

  /**
   * The network to name in a command: known once, then kept (an endpoint never changes network), so a
   * command does not read the state first; decide refuses an endpoint that is gone, NotFound as here.
   */
  private networkOf(): string {
    return (this.networkId ??= this.view().network);
  }

  view(): EndpointView {
    const e = C.get(this.c.current().endpoints, this.id);
    if (!e) throw notFound(`endpoint ${shortId(this.id)} no longer exists`);
    return endpointView(e);
  }

  get name(): string {
    return this.view().name;
  }

  get network(): string {
    return this.view().network;
  }

  toJSON(): EndpointView {
    return this.view();
  }

  async join(sandbox: Sandbox | string, options: CommandOptions = {}): Promise<void> {
    const sb = typeof sandbox === "string" ? sandbox : sandbox.id;
    await this.c.run({ type: "endpoint.join", network: this.networkOf(), endpoint: this.id, sandbox: sb }, options);
  }

  async leave(sandbox: Sandbox | string, options: CommandOptions = {}): Promise<void> {
    const sb = typeof sandbox === "string" ? sandbox : sandbox.id;
    await this.c.run({ type: "endpoint.leave", network: this.networkOf(), endpoint: this.id, sandbox: sb }, options);
  }

  /** Operational data from the driver (libnetwork's DriverInfo / EndpointOperInfo); not logged. */
  async driverInfo(): Promise<Record<string, unknown>> {
    return this.c.endpointOperInfo(this.id);
  }

  async delete(options: { force?: boolean } & CommandOptions = {}): Promise<void> {
    const { requestId, actor, force } = options;
    await this.c.run({ type: "endpoint.delete", network: this.networkOf(), endpoint: this.id, force: force ?? false }, { requestId, actor });
  }
}

export class Sandbox {
  constructor(
    private readonly c: HandleHost,
    readonly id: string,
  ) {}

  view(): SandboxView {
    const s = C.get(this.c.current().sandboxes, this.id);
    if (!s) throw notFound(`sandbox ${shortId(this.id)} no longer exists`);
    return sandboxView(s);
  }

  get containerId(): string {
    return this.view().containerId;
  }

  /** The namespace path (libnetwork's sandbox key), or null for the host's namespace. */
  get key(): string | null {
    return this.view().key;
  }

  toJSON(): SandboxView {
    return this.view();
  }

  /** The sandbox's hosts file (libnetwork's etchosts), kept in step with its endpoints and peers. */
  get hostsPath(): string {
    return this.c.sandboxFiles.hostsPath(this.id);
  }

  /** The sandbox's resolv.conf. */
  get resolvConfPath(): string {
    return this.c.sandboxFiles.resolvConfPath(this.id);
  }

  endpoints(): Endpoint[] {
    return this.view().endpoints.map((id) => new Endpoint(this.c, id));
  }

  async delete(options: { force?: boolean } & CommandOptions = {}): Promise<void> {
    const { requestId, actor, force } = options;
    await this.c.run({ type: "sandbox.delete", sandbox: this.id, force: force ?? false }, { requestId, actor });
  }
}
