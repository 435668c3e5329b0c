import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { NetledgerApi } from "../api/contract.js";
import type { LocalApi } from "../api/local.js";
import type { ReadQueries } from "../api/read.js";
import type { CommandOptions, OpenOptions } from "../controller/controller.js";
import type { Ledger } from "../controller/ledger.js";
import type { Progress } from "../controller/loadState.js";
import { defaultActor, defaultDbPath, defaultSocketPath } from "../controller/paths.js";
import type { HttpApi } from "../daemon/client.js";
import { durationMs } from "./parse.js";
import { type ClusterGlobals, clusterOpenOptions, clusterSettings } from "./clusterOptions.js";
import type { Io } from "./output.js";
import { json } from "./output.js";
import { progressBar } from "./progress.js";
import { type Style, styleFor } from "./style.js";

export interface GlobalOptions extends ClusterGlobals {
  db?: string;
  json?: boolean;
  actor?: string;
  requestId?: string;
  pluginDir?: string[];
  pluginTimeout?: string;
  host?: string;
}

/** Where a command's requests go: a daemon, or the database file opened in this process. */
type Target = { kind: "daemon"; host: string; db?: string } | { kind: "local"; db: string };

/**
 * What every command needs: the global options, the output, and the API it talks to, opened for it
 * and closed after it. The API is a daemon's when --host or NETLEDGER_HOST names one, or when no
 * database was named and the default socket answers; otherwise the database opened here (read-only
 * for commands that only read). An explicit --db always means that file: a daemon that happens to run
 * on the machine never captures it.
 */
export class CliContext {
  private styleCache: Style | undefined;

  constructor(
    readonly io: Io,
    private readonly openOptions: Partial<OpenOptions> = {},
  ) {}

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals() as GlobalOptions;
  }

  dbPath(g: GlobalOptions): string {
    return g.db || defaultDbPath(this.io.env);
  }

  /** Where plugins are looked for and how long a call may take: --plugin-dir / NETLEDGER_PLUGIN_DIRS, --plugin-timeout / NETLEDGER_PLUGIN_TIMEOUT. */
  async pluginOptions(g: GlobalOptions): Promise<{ pluginDirs: string[]; pluginTimeoutMs?: number }> {
    const { pluginDirs } = await import("../api/plugins.js");
    return { pluginDirs: pluginDirs(g.pluginDir, this.io.env), ...this.pluginTimeout(g) };
  }

  /** --plugin-timeout / NETLEDGER_PLUGIN_TIMEOUT, checked by every command that opens a database here. */
  private pluginTimeout(g: GlobalOptions): { pluginTimeoutMs?: number } {
    const timeout = g.pluginTimeout ?? this.io.env["NETLEDGER_PLUGIN_TIMEOUT"];
    const flag = g.pluginTimeout !== undefined ? "--plugin-timeout" : "NETLEDGER_PLUGIN_TIMEOUT";
    return timeout !== undefined && timeout !== "" ? { pluginTimeoutMs: durationMs(flag, timeout) } : {};
  }

  commandOptions(g: GlobalOptions): CommandOptions {
    return { ...(g.requestId !== undefined ? { requestId: g.requestId } : {}), ...(g.actor !== undefined ? { actor: g.actor } : {}) };
  }

  /** The database the user named, if any (--db, or NETLEDGER_DB in the environment). */
  private explicitDb(g: GlobalOptions): string | undefined {
    return g.db || this.io.env["NETLEDGER_DB"] || undefined;
  }

  private async target(g: GlobalOptions): Promise<Target> {
    const db = this.explicitDb(g);
    // An empty NETLEDGER_HOST (or --host "") means none, as an empty NETLEDGER_DB does.
    const host = g.host || this.io.env["NETLEDGER_HOST"] || undefined;
    if (host !== undefined) return { kind: "daemon", host, ...(db !== undefined ? { db: resolve(db) } : {}) };
    if (db !== undefined) return { kind: "local", db };
    const socket = defaultSocketPath(this.io.env);
    // The daemon client (undici) is loaded only when there is a daemon to talk to: start-up stays quick.
    if (existsSync(socket) && (await (await import("../daemon/client.js")).daemonAnswers(socket))) return { kind: "daemon", host: `unix://${socket}` };
    return { kind: "local", db: this.dbPath(g) };
  }

  private async daemonApi(t: { host: string; db?: string }, g: GlobalOptions): Promise<HttpApi> {
    const { HttpApi } = await import("../daemon/client.js");
    const env = this.io.env;
    const tls = {
      ...(env["NETLEDGER_TLS_CERT"] ? { cert: env["NETLEDGER_TLS_CERT"] } : {}),
      ...(env["NETLEDGER_TLS_KEY"] ? { key: env["NETLEDGER_TLS_KEY"] } : {}),
      ...(env["NETLEDGER_TLS_CA"] ? { ca: env["NETLEDGER_TLS_CA"] } : {}),
    };
    // The actor defaults to the user running the CLI, not the daemon's, as when the CLI opens the file.
    return new HttpApi({ host: t.host, tls, actor: g.actor ?? defaultActor(), ...(t.db !== undefined ? { db: t.db } : {}) });
  }

  /**
   * Whether the command would open a database file here that does not exist: read commands that list
   * then list nothing (exit 0), and the file is not created, as `docker network ls` on a fresh host.
   */
  async missingDatabase(cmd: Command): Promise<boolean> {
    const t = await this.target(this.globals(cmd));
    return t.kind === "local" && !existsSync(t.db);
  }

  /** Runs `fn` with the API: a daemon's, or a controller opened here for it and closed after it. */
  async withApi<T>(
    cmd: Command,
    mode: "read" | "write",
    fn: (api: NetledgerApi, g: GlobalOptions) => Promise<T> | T,
    extra: Partial<OpenOptions> = {},
  ): Promise<T> {
    const g = this.globals(cmd);
    const t = await this.target(g);
    // The write path (controller, store, drivers) is loaded only by a command that opens a database.
    const { LocalApi } = await import("../api/local.js");
    const api =
      t.kind === "daemon"
        ? await this.daemonApi(t, g)
        : await LocalApi.open({
            ...(await this.pluginOptions(g)),
            // A one-shot command serves no DNS: binding every gateway for the length of one command
            // answers nothing useful and costs every command; the daemon or an embedder serves names.
            dns: false,
            ...this.openOptions,
            ...extra,
            ...(mode === "write" ? clusterOpenOptions(clusterSettings(g, this.io.env)) : {}),
            db: t.db,
            readonly: mode === "read",
            ...(g.actor !== undefined ? { actor: g.actor } : {}),
            onLongReplay: (n) => this.longReplay(n),
          });
    if (api instanceof LocalApi) this.warn(api.controller.warning);
    try {
      return await fn(api, g);
    } finally {
      await api.close();
    }
  }

  /**
   * Runs `fn` with what a read command asks (lists, inspect): a daemon's API, or the quick read path
   * on the database here (src/api/read.ts), which answers from the latest snapshot without a
   * controller, the write path, the event schemas or ip-num.
   */
  async withReader<T>(cmd: Command, fn: (api: ReadQueries, g: GlobalOptions) => Promise<T> | T): Promise<T> {
    const g = this.globals(cmd);
    const t = await this.target(g);
    if (t.kind === "daemon") return this.withApi(cmd, "read", fn);
    // A malformed option is refused as the write path refuses it, though the read path needs no plugin.
    this.pluginTimeout(g);
    const { ReadApi } = await import("../api/read.js");
    const api = await ReadApi.open(t.db, {
      onLongReplay: (n) => this.longReplay(n),
      ...(this.openOptions.snapshotEvery !== undefined ? { longReplay: this.openOptions.snapshotEvery } : {}),
      // Only an endpoint of a global-scope network needs the controller (its node, from the cluster copy).
      full: async () => {
        const { LocalApi } = await import("../api/local.js");
        return LocalApi.open({ ...(await this.pluginOptions(g)), dns: false, ...this.openOptions, db: t.db, readonly: true });
      },
    });
    this.warn(api.warning);
    try {
      return await fn(api, g);
    } finally {
      await api.close();
    }
  }

  /** A read that had to replay a long tail: reads stay slow until a snapshot is written (a writer writes one as the log grows). */
  private longReplay(replayed: number): void {
    this.io.err(`netledger: the log has no recent snapshot, so this read replayed ${replayed.toLocaleString("en-US")} events; run "netledger snapshot" to make reads quick again\n`);
  }

  /** The database file to open in this process: the one named, or the daemon's (SQLite lets both use it). */
  private async localDb(g: GlobalOptions): Promise<string> {
    const t = await this.target(g);
    if (t.db !== undefined) return t.db;
    const api = await this.daemonApi(t as { host: string }, g);
    try {
      return (await api.health()).db;
    } finally {
      await api.close();
    }
  }

  /**
   * Runs `fn` with the API on the database file opened in this process, for what only a local API
   * carries (gc). With a daemon in use and no --db, that is the daemon's database (SQLite lets both use it).
   */
  async withLocalApi<T>(
    cmd: Command,
    mode: "read" | "write",
    fn: (api: LocalApi, g: GlobalOptions) => Promise<T> | T,
    extra: Partial<OpenOptions> = {},
  ): Promise<T> {
    const g = this.globals(cmd);
    const { LocalApi } = await import("../api/local.js");
    const c = await LocalApi.open({
      ...(await this.pluginOptions(g)),
      dns: false,
      ...this.openOptions,
      ...extra,
      db: await this.localDb(g),
      readonly: mode === "read",
      ...(g.actor !== undefined ? { actor: g.actor } : {}),
    });
    this.warn(c.controller.warning);
    try {
      return await fn(c, g);
    } finally {
      await c.close();
    }
  }

  /**
   * Runs `fn` with the log opened read-only and no state loaded: what the operator's tools (log,
   * replay, diff, verify, history) need, without the replay a controller does when it opens.
   */
  async withLedger<T>(cmd: Command, fn: (l: Ledger, g: GlobalOptions) => Promise<T> | T, opts: { warn?: boolean } = {}): Promise<T> {
    const g = this.globals(cmd);
    const { Ledger } = await import("../controller/ledger.js");
    const ledger = Ledger.open(await this.localDb(g));
    if (opts.warn !== false) this.warn(ledger.warning());
    try {
      return await fn(ledger, g);
    } finally {
      ledger.close();
    }
  }

  /** A broken log is still read, with a warning on stderr (the writes it refuses say the same). */
  private warn(message: string | undefined): void {
    if (message !== undefined) this.io.err(`netledger: warning: ${message}\n`);
  }

  /** Colours for stdout (none unless it is a terminal without NO_COLOR). */
  get style(): Style {
    return (this.styleCache ??= styleFor(this.io));
  }

  now(): Date {
    return this.io.now?.() ?? new Date();
  }

  /** Runs `fn` with a progress bar on stderr (shown only on a terminal, for work over about a second). */
  withProgress<T>(label: string, fn: (onProgress: Progress | undefined) => T): T {
    const bar = progressBar(this.io, label);
    try {
      return fn(bar.onProgress);
    } finally {
      bar.done();
    }
  }

  /** Asks the person at the terminal; with no one to ask the answer is "" (no). */
  ask(prompt: string): Promise<string> {
    return this.io.ask?.(prompt) ?? Promise.resolve("");
  }

  /** Prints a value as JSON with --json, else the text `human` gives. */
  print(g: GlobalOptions, value: unknown, human: () => string): void {
    this.io.out(g.json ? json(value) : human());
  }
}
