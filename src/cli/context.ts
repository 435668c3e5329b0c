import type { Command } from "commander";
import { Controller, type CommandOptions, type OpenOptions } from "../controller/controller.js";
import { Ledger } from "../controller/ledger.js";
import type { Progress } from "../controller/loadState.js";
import { defaultDbPath } from "../controller/paths.js";
import type { Io } from "./output.js";
import { json } from "./output.js";
import { progressBar } from "./progress.js";
import { type Style, styleFor } from "./style.js";

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  actor?: string;
  requestId?: string;
  pluginDir?: string[];
  host?: string;
}

/**
 * What every command needs: the global options, the output, and a controller opened for it and
 * closed after it. Commands that only read open the database read-only.
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
    return g.db ?? defaultDbPath(this.io.env);
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

  /**
   * Runs `fn` with the log opened read-only and no state loaded: what the operator's tools (log,
   * replay, diff, verify, history) need, without the replay a controller does when it opens.
   */
  async withLedger<T>(cmd: Command, fn: (l: Ledger, g: GlobalOptions) => Promise<T> | T): Promise<T> {
    const g = this.globals(cmd);
    const ledger = Ledger.open(this.dbPath(g));
    try {
      return await fn(ledger, g);
    } finally {
      ledger.close();
    }
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

  /** Prints a value as JSON with --json, else the text `human` gives. */
  print(g: GlobalOptions, value: unknown, human: () => string): void {
    this.io.out(g.json ? json(value) : human());
  }
}
