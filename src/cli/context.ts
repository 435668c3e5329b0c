import type { Command } from "commander";
import { Controller, type CommandOptions, type OpenOptions } from "../controller/controller.js";
import { defaultDbPath } from "../controller/paths.js";
import { pluginDirs } from "../drivers/remote/discovery.js";
import { durationMs } from "./parse.js";
import type { Io } from "./output.js";
import { json } from "./output.js";

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  actor?: string;
  requestId?: string;
  pluginDir?: string[];
  pluginTimeout?: string;
  host?: string;
}

/**
 * What every command needs: the global options, the output, and a controller opened for it and
 * closed after it. Commands that only read open the database read-only.
 */
export class CliContext {
  constructor(
    readonly io: Io,
    private readonly openOptions: Partial<OpenOptions> = {},
  ) {}

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals() as GlobalOptions;
  }

  dbPath(g: GlobalOptions): string {
    return g.db ?? defaultDbPath(this.io.env);
  }

  /** Where plugins are looked for and how long a call may take: --plugin-dir / NETLEDGER_PLUGIN_DIRS, --plugin-timeout / NETLEDGER_PLUGIN_TIMEOUT. */
  pluginOptions(g: GlobalOptions): { pluginDirs: string[]; pluginTimeoutMs?: number } {
    const timeout = g.pluginTimeout ?? this.io.env["NETLEDGER_PLUGIN_TIMEOUT"];
    const flag = g.pluginTimeout !== undefined ? "--plugin-timeout" : "NETLEDGER_PLUGIN_TIMEOUT";
    return {
      pluginDirs: pluginDirs(g.pluginDir, this.io.env),
      ...(timeout !== undefined && timeout !== "" ? { pluginTimeoutMs: durationMs(flag, timeout) } : {}),
    };
  }

  commandOptions(g: GlobalOptions): CommandOptions {
    return { ...(g.requestId !== undefined ? { requestId: g.requestId } : {}), ...(g.actor !== undefined ? { actor: g.actor } : {}) };
  }

  async withController<T>(
    cmd: Command,
    mode: "read" | "write",
    fn: (c: Controller, g: GlobalOptions) => Promise<T> | T,
    extra: Partial<OpenOptions> = {},
  ): Promise<T> {
    const g = this.globals(cmd);
    const c = await Controller.open({
      ...this.pluginOptions(g),
      ...this.openOptions,
      ...extra,
      db: this.dbPath(g),
      readonly: mode === "read",
      ...(g.actor !== undefined ? { actor: g.actor } : {}),
    });
    try {
      return await fn(c, g);
    } finally {
      await c.close();
    }
  }

  /** Prints a value as JSON with --json, else the text `human` gives. */
  print(g: GlobalOptions, value: unknown, human: () => string): void {
    this.io.out(g.json ? json(value) : human());
  }
}
