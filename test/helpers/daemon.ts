import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach } from "vitest";
// Registered first, so that its afterEach (removing test directories) runs after ours.
import { fileTempDir } from "./tmp.js";

/**
 * With NETLEDGER_TEST_VIA_DAEMON=1, every CLI test runs its commands through a daemon: the first
 * command that names a database which exists starts `netledger serve` on it (one per database, on a
 * socket in a temp dir), and that and later commands get NETLEDGER_HOST pointing at it. A command on
 * a database that does not exist yet runs as before, so that "no database here" and the first create
 * behave exactly as without a daemon; a database the daemon cannot open (a corrupt file) runs without
 * one too, so that the error is the CLI's own. Daemons stop after each test.
 */
export const viaDaemon = process.env["NETLEDGER_TEST_VIA_DAEMON"] === "1";

const cliPath = fileURLToPath(new URL("../../bin/netledger.js", import.meta.url));

export interface TestDaemon {
  child: ChildProcess;
  host: string;
  dir: string;
  stderr: () => string;
}

export interface StartOptions {
  /** More arguments for `serve`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run this TypeScript file (with tsx) as `FILE DB SOCKET` instead of `netledger serve`: a daemon an embedder starts. */
  fixture?: string;
  /** The socket path (default: in a new temp dir). */
  socket?: string;
}

/**
 * Starts `netledger serve` on a database and resolves once it listens; rejects with its stderr if it
 * exits first.
 */
export function startDaemon(db: string, o: StartOptions = {}): Promise<TestDaemon> {
  // Removed by stopDaemon, and in any case after the file's last test: a daemon a test kills with
  // SIGKILL is not stopped, and a daemon started again may keep its socket in this directory.
  const dir = fileTempDir("netledger-daemon-");
  const socket = o.socket ?? join(dir, "d.sock");
  const argv = o.fixture
    ? ["--import", "tsx", o.fixture, db, socket]
    : [cliPath, "--db", db, "serve", "--socket", socket, ...(o.args ?? [])];
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, NETLEDGER_HOST: "", ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d) => (err += d));
  return new Promise((resolveStart, reject) => {
    const fail = (why: string) => {
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`netledger serve on ${db} ${why}: ${err.trim()}`));
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail("did not listen within 30 s");
    }, 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!out.includes("listening on")) fail(`exited (${code ?? signal}) before listening`);
    });
    child.stdout!.setEncoding("utf8").on("data", (d) => {
      out += d;
      if (out.includes(`listening on unix://${socket}`)) {
        clearTimeout(timer);
        resolveStart({ child, host: `unix://${socket}`, dir, stderr: () => err });
      }
    });
  });
}

/** SIGTERM, and the exit it causes (SIGKILL if it does not come within 20 s). */
export async function stopDaemon(d: TestDaemon): Promise<number | null> {
  const exited = new Promise<number | null>((r) => {
    if (d.child.exitCode !== null || d.child.signalCode !== null) r(d.child.exitCode);
    else d.child.once("exit", (code) => r(code));
  });
  d.child.kill("SIGTERM");
  const timer = setTimeout(() => d.child.kill("SIGKILL"), 20_000);
  const code = await exited;
  clearTimeout(timer);
  rmSync(d.dir, { recursive: true, force: true });
  return code;
}

/** db path → its daemon, or null when the daemon could not start (the command then runs without). */
const running = new Map<string, Promise<TestDaemon | null>>();

/** The database a CLI invocation names, from --db or NETLEDGER_DB. */
function dbOf(args: string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") break;
    if (args[i] === "--db") return args[i + 1];
    if (args[i]!.startsWith("--db=")) return args[i]!.slice("--db=".length);
  }
  return env["NETLEDGER_DB"] || process.env["NETLEDGER_DB"] || undefined;
}

/** Global options that take a value, to find a command's name among its arguments. */
const valued = new Set(["--db", "--actor", "--request-id", "--plugin-dir", "--host"]);

/**
 * Whether the command only reads the log through the Ledger (the operator's tools), which opens the
 * file in this process whether or not a daemon runs: starting a daemon for it would only let the
 * daemon's recovery append to a fixture the test expects unchanged.
 */
function readsLogOnly(args: string[]): boolean {
  if (args.includes("--history")) return true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.has(a)) i++;
    else if (!a.startsWith("-")) return ["log", "replay", "diff", "topology", "verify", "head", "completion"].includes(a);
  }
  return false;
}

/** The environment a CLI invocation needs to go through a daemon, when the switch is on; else nothing. */
export async function daemonEnv(args: string[], env: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  // A test that sets NETLEDGER_HOST itself (even to "") or passes --host has chosen: leave it be.
  if (!viaDaemon || "NETLEDGER_HOST" in env || args.includes("serve") || args.includes("--host") || args.some((a) => a.startsWith("--host=")))
    return {};
  const named = dbOf(args, env);
  if (named === undefined || readsLogOnly(args)) return {};
  const db = resolve(named);
  if (!existsSync(db) || !existsSync(dirname(db))) return {};
  let d = running.get(db);
  if (!d) {
    // The daemon gets the command's environment (its run directory, say), as the CLI would have used it.
    d = startDaemon(db, { env }).catch(() => null);
    running.set(db, d);
  }
  const daemon = await d;
  return daemon ? { NETLEDGER_HOST: daemon.host } : {};
}

async function stopAll(): Promise<void> {
  const all = [...running.values()];
  running.clear();
  await Promise.all(all.map(async (p) => {
    const d = await p;
    if (d) await stopDaemon(d);
  }));
}

if (viaDaemon) {
  afterEach(stopAll);
  afterAll(stopAll);
}
