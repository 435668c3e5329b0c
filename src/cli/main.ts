import { Command, CommanderError, Option } from "commander";
import type { OpenOptions } from "../controller/controller.js";
import { version } from "../api/version.js";
import { asNetledgerError, isNetledgerError } from "../domain/errors.js";
import { addClusterGlobals } from "./clusterOptions.js";
import { CliContext } from "./context.js";
import { errorText, type Io, processIo } from "./output.js";
import { collect } from "./parse.js";

type Register = (program: Command, cli: CliContext) => void;

/**
 * The top-level commands (with their aliases) each module registers, in the order `--help` lists
 * them. A run loads only the module of the command it names, so `network ls` does not load the
 * modules of `log`, `serve` or `cluster`; `--help`, an unknown command and `completion` (which walks
 * the whole tree) load all. test/integration/cli/help.test.ts holds the names to what each registers.
 */
export const commandModules: { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ["network"], load: async () => (await import("./commands/network.js")).registerNetwork },
  { names: ["endpoint"], load: async () => (await import("./commands/endpoint.js")).registerEndpoint },
  { names: ["sandbox"], load: async () => (await import("./commands/sandbox.js")).registerSandbox },
  { names: ["inspect"], load: async () => (await import("./commands/inspect.js")).registerInspect },
  { names: ["log"], load: async () => (await import("./commands/log.js")).registerLog },
  { names: ["replay", "diff", "topology"], load: async () => (await import("./commands/replay.js")).registerReplay },
  { names: ["verify", "head", "snapshot", "recover"], load: async () => (await import("./commands/integrity.js")).registerIntegrity },
  { names: ["drivers"], load: async () => (await import("./commands/drivers.js")).registerDrivers },
  { names: ["plugins"], load: async () => (await import("./commands/plugins.js")).registerPlugins },
  { names: ["port"], load: async () => (await import("./commands/port.js")).registerPort },
  { names: ["gc"], load: async () => (await import("./commands/gc.js")).registerGc },
  { names: ["serve"], load: async () => (await import("./commands/serve.js")).registerServe },
  { names: ["cluster"], load: async () => (await import("./commands/cluster.js")).registerCluster },
  { names: ["node"], load: async () => (await import("./commands/node.js")).registerNode },
  { names: ["completion"], load: async () => (await import("./commands/completion.js")).registerCompletion },
  { names: ["cni"], load: async () => (await import("./commands/cni.js")).registerCni },
];

/** The first operand of the arguments (the command's name), skipping the global options and their values. */
function commandName(program: Command, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return argv[i + 1];
    if (!a.startsWith("-") || a === "-") return a;
    if (a.startsWith("--") && a.includes("=")) continue;
    const option = program.options.find((o) => o.long === a || o.short === a);
    // An unknown option, or short flags run together: let commander judge the whole line.
    if (!option) return undefined;
    if (option.required || option.optional) i++;
  }
  return undefined;
}

/**
 * The program with the commands `argv` may run (every command when it names none of them, or without
 * `argv`): commander parses and helps exactly as with every command registered.
 */
export async function buildProgram(cli: CliContext, argv?: readonly string[]): Promise<Command> {
  const program = new Command("netledger")
    .description("An event-sourced container network controller: libnetwork's model on a durable log.")
    .version(version, "--version")
    .addOption(new Option("--db <path>", "the database file").env("NETLEDGER_DB"))
    .option("--json", "machine-readable output (one JSON document; JSON lines for log)", false)
    .option("--actor <name>", "who is acting, for the audit trail (default: the OS user)")
    .option("--request-id <id>", "idempotency key: repeating it returns the first result and appends nothing")
    .option("--plugin-dir <dir>", "a plugin discovery directory, searched in order (repeatable; env NETLEDGER_PLUGIN_DIRS, colon-separated)", collect)
    .option("--plugin-timeout <duration>", "how long one plugin call may take, e.g. 30s (env NETLEDGER_PLUGIN_TIMEOUT; default 30s)")
    .addOption(new Option("--host <url>", "send commands to a running daemon (unix://PATH or https://HOST:PORT)").env("NETLEDGER_HOST"))
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => cli.io.out(s), writeErr: (s) => cli.io.err(s) });
  addClusterGlobals(program);
  const name = argv && commandName(program, argv);
  const one = commandModules.find((m) => name !== undefined && name !== "completion" && m.names.includes(name));
  for (const register of await Promise.all((one ? [one] : commandModules).map((m) => m.load()))) register(program, cli);
  program.addHelpText(
    "after",
    `
Examples:
  netledger network create -d null web-net
  netledger log --since 1h
  netledger topology
  netledger verify --expect-head "$(cat /safe/place/netledger.head)"

Run "netledger COMMAND --help" for a command's options.
`,
  );
  for (const c of program.commands) {
    c.exitOverride().configureOutput({ writeOut: (s) => cli.io.out(s), writeErr: (s) => cli.io.err(s) });
    for (const sub of c.commands) sub.exitOverride().configureOutput({ writeOut: (s) => cli.io.out(s), writeErr: (s) => cli.io.err(s) });
  }
  return program;
}

/**
 * With --json a usage error (unknown option, missing argument) is one JSON line on stderr too, code
 * InvalidParameter, still exit 2; the parser's hint to run --help is left out.
 */
function jsonUsageErrors(program: Command, io: Io): void {
  const outputError = (s: string) => io.err(JSON.stringify({ error: { code: "InvalidParameter", message: s.replace(/^error: /, "").trim() } }) + "\n");
  const visit = (c: Command) => {
    c.showHelpAfterError(false).configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError });
    c.commands.forEach(visit);
  };
  visit(program);
}

/**
 * Runs the CLI; resolves to the exit status: 0 success, 1 the operation failed, 2 a usage error.
 * `openOptions` are given to every controller it opens (an embedder's drivers, say).
 */
export async function main(argv: string[], io: Io = processIo(), openOptions: Partial<OpenOptions> = {}): Promise<number> {
  const cli = new CliContext(io, openOptions);
  const program = await buildProgram(cli, argv);
  const asJson = argv.includes("--json");
  if (asJson) jsonUsageErrors(program, io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      // A bare group (`netledger network`) shows its help, as git does.
      if (e.code === "commander.executeSubCommandAsync" || e.exitCode === 0) return 0;
      return 2;
    }
    const err = isNetledgerError(e) ? e : asNetledgerError(e);
    // A command that printed its own errors (inspect of several names) only sets the status.
    if (err.details["reported"] !== true) io.err(errorText(err, asJson));
    return 1;
  }
}
