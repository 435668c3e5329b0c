import { Command, CommanderError, Option } from "commander";
import type { OpenOptions } from "../controller/controller.js";
import { version } from "../api/version.js";
import { asNetledgerError, isNetledgerError } from "../domain/errors.js";
import { registerCni } from "./commands/cni.js";

import { registerCluster } from "./commands/cluster.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDrivers } from "./commands/drivers.js";
import { registerEndpoint } from "./commands/endpoint.js";
import { registerGc } from "./commands/gc.js";
import { registerInspect } from "./commands/inspect.js";
import { registerIntegrity } from "./commands/integrity.js";
import { registerLog } from "./commands/log.js";
import { registerNetwork } from "./commands/network.js";
import { registerNode } from "./commands/node.js";
import { registerPlugins } from "./commands/plugins.js";
import { registerPort } from "./commands/port.js";
import { registerReplay } from "./commands/replay.js";
import { registerSandbox } from "./commands/sandbox.js";
import { registerServe } from "./commands/serve.js";
import { addClusterGlobals } from "./clusterOptions.js";
import { CliContext } from "./context.js";
import { errorText, type Io, processIo } from "./output.js";
import { collect } from "./parse.js";


export function buildProgram(cli: CliContext): Command {
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
  registerNetwork(program, cli);
  registerEndpoint(program, cli);
  registerSandbox(program, cli);
  registerInspect(program, cli);
  registerLog(program, cli);
  registerReplay(program, cli);
  registerIntegrity(program, cli);
  registerDrivers(program, cli);
  registerPlugins(program, cli);
  registerPort(program, cli);
  registerGc(program, cli);
  registerServe(program, cli);
  registerCluster(program, cli);
  registerNode(program, cli);
  registerCompletion(program, cli);
  registerCni(program, cli);
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
  const program = buildProgram(cli);
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
