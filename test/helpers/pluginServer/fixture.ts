import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Child, runTs } from "../child.js";
import { cli } from "../cli.js";
import { tempDb, tempDir } from "../tmp.js";
import { type Fault, holdingsOf, type Holdings, type PluginConfig, readRecord, type RecordedCall } from "./server.js";

const serverPath = fileURLToPath(new URL("./server.ts", import.meta.url));

/**
 * A test plugin run as its own process on a UNIX socket in a plugin directory: start it, kill it
 * (SIGKILL, by pid), start it again; set and clear faults; read its record and what it holds.
 */
export class PluginProcess {
  readonly config: PluginConfig;
  private child: Child | undefined;
  private readonly stateDir: string;

  constructor(
    readonly dir: string,
    readonly name: string,
    opts: Partial<PluginConfig> = {},
  ) {
    // The plugin's own files live in a subdirectory discovery ignores (no state/state.spec in it).
    this.stateDir = join(dir, "state");
    mkdirSync(this.stateDir, { recursive: true });
    this.config = {
      socket: join(dir, `${name}.sock`),
      record: join(this.stateDir, `${name}.record.jsonl`),
      control: join(this.stateDir, `${name}.control.json`),
      ...opts,
    };
    writeFileSync(join(this.stateDir, `${name}.config.json`), JSON.stringify(this.config));
    this.clearFaults();
  }

  async start(): Promise<void> {
    const child = runTs(serverPath, [join(this.stateDir, `${this.name}.config.json`)]);
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.onLine((l) => l === "listening" && resolve());
      void child.exited.then((e) => reject(new Error(`plugin ${this.name} exited before listening: ${e.stderr}`)));
    });
  }

  get pid(): number | undefined {
    return this.child?.process.pid;
  }

  /** SIGKILL, by pid; resolves once it has exited. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.process.exitCode !== null || c.process.signalCode !== null) return;
    process.kill(c.process.pid!, "SIGKILL");
    await c.exited;
  }

  /** Resolves when the plugin process exits (it dies by itself in a "die" fault). */
  async exited(): Promise<void> {
    await this.child?.exited;
  }

  setFault(method: string, fault: Fault): void {
    writeFileSync(this.config.control, JSON.stringify({ [method]: fault }));
  }

  clearFaults(): void {
    writeFileSync(this.config.control, "{}");
  }

  calls(): RecordedCall[] {
    return readRecord(this.config.record);
  }

  /** The methods of the calls received, in order. */
  methods(): string[] {
    return this.calls().map((c) => c.method);
  }

  holdings(): Holdings {
    return holdingsOf(this.calls(), this.config);
  }
}

/**
 * A started plugin in a new plugin directory, a new database, and the in-process CLI on both
 * (`--json`, NETLEDGER_PLUGIN_DIRS set to the directory).
 */
export async function pluginWithCli(name: string, opts: Partial<PluginConfig> = {}) {
  const dir = tempDir("netledger-plugins-");
  const db = tempDb();
  const plugin = new PluginProcess(dir, name, opts);
  await plugin.start();
  const env = { NETLEDGER_PLUGIN_DIRS: dir };
  const nl = (...args: string[]) => cli(["--db", db, "--json", ...args], env);
  return { dir, db, plugin, env, nl };
}
