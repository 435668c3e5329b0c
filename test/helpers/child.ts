import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

/** The repository root: children resolve `--import tsx` from here. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  process: ChildProcess;
  /** Lines the child wrote to stdout, as they arrive. */
  onLine(fn: (line: string) => void): void;
  exited: Promise<Exit>;
}

const live = new Set<ChildProcess>();

/**
 * Runs a TypeScript file of the test tree in a child process (through tsx). Children still running
 * when a test ends are killed by their pid in teardown, even when the test failed.
 */
export function runTs(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return runNode(["--import", "tsx", script, ...args], env);
}

/** Runs a JavaScript file (one compileChild made, say) in a child process, killed in teardown like runTs's. */
export function runJs(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return runNode([script, ...args], env);
}

function runNode(argv: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, argv, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  const listeners: ((line: string) => void)[] = [];
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    partial += d;
    let i: number;
    while ((i = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      for (const l of listeners) l(line);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { process: child, onLine: (fn) => listeners.push(fn), exited };
}

afterEach(() => {
  for (const c of live) {
    if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {
      // it exited between the check and the kill
    }
  }
  live.clear();
});

const workloadPath = fileURLToPath(new URL("../crash/workload.ts", import.meta.url));

/**
 * Runs the crash workload (test/crash/workload.ts) in a child process with a config written to
 * `configPath`; `env` may arm a crash point (NETLEDGER_CRASH_AT) or fix the boot id.
 */
export function runWorkloadChild(configPath: string, env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return runTs(workloadPath, [configPath], env).exited;
}
