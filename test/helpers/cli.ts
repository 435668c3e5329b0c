import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import type { OpenOptions } from "../../src/controller/controller.js";
import { daemonEnv } from "./daemon.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI, as users run it (`npm test` builds first). */
export const cliPath = fileURLToPath(new URL("../../bin/netledger.js", import.meta.url));

/**
 * Runs `netledger ARGS` in a child process. With NETLEDGER_TEST_VIA_DAEMON=1 the command goes through
 * a daemon on the database it names (helpers/daemon.ts).
 */
export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  const viaDaemon = await daemonEnv(args, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...opts.env, ...viaDaemon },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

/**
/**
 * Runs the CLI in this process (fast; same code path as the binary but for process start-up), with
 * the open options an embedder would give (its drivers, say), a fixed clock or an abort signal. With
 * NETLEDGER_TEST_VIA_DAEMON=1 the command goes through a daemon on the database it names, unless it
 * brings open options of its own (a daemon has only its own drivers).
 */
export async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  opts: Partial<OpenOptions> & { now?: Date; signal?: AbortSignal } = {},
): Promise<CliResult> {
  const { now, signal, ...openOptions } = opts;
  let stdout = "";
  let stderr = "";
  const viaDaemon = Object.keys(openOptions).length > 0 ? { NETLEDGER_HOST: "" } : await daemonEnv(args, env);
  const code = await main(
    args,
    {
      out: (s) => void (stdout += s),
      err: (s) => void (stderr += s),
      isTTY: false,
      env: { ...process.env, NO_COLOR: "1", ...env, ...viaDaemon },
      ...(now ? { now: () => now } : {}),
      ...(signal ? { signal } : {}),
    },
    openOptions,
  );
  return { code, stdout, stderr };
}

/**
 * Runs `netledger ARGS` on a pseudo-terminal (`script -qfec CMD /dev/null`, util-linux), as a person at
 * a terminal would: stdout and stderr are the terminal, and `output` is everything drawn on it.
 */
export function runCliOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cliPath, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, TERM: "xterm", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end();
  });
}
