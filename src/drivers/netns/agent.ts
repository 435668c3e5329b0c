import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { NetledgerError } from "../../domain/errors.js";
import { ProgramError } from "./exec.js";

/**
 * One long-lived `ip -force -batch -` process inside a namespace, fed scripts over its stdin: what the
 * kernel takes only from a socket opened in the namespace (addresses, routes, a link set up or moved
 * out) without a process start per command. A sandbox namespace netledger makes gets its agent from
 * the process that makes it (`unshare --net=PATH ip …` both makes the namespace and stays); any other
 * namespace gets one at its first script (`nsenter --net=PATH ip …`).
 *
 * Each script is followed by a line that must fail (`link show dev` of a name longer than any link can
 * have): ip's `Command failed -:N` for that line ends the script, and the script failed when ip wrote
 * it for one of the script's own lines (ip numbers the lines it reads, and so does the agent). With -force ip goes on after a failed line; a
 * malformed argument still makes it exit, and then every script waiting on it fails with what it
 * printed. An agent ends when its namespace is deleted, after a short idle time (it holds a reference
 * to its namespace, which must not outlive a sandbox deleted by another process), and with this
 * process: its stdin is this process's pipe, and ip exits at its end.
 */

interface Pending {
  /** The line number (ip counts the lines it reads) of the script's sentinel. */
  sentinel: number;
  /** What ip wrote for the script's lines, and whether one of them failed. */
  output: string[];
  failed: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A name no link can have (longer than IFNAMSIZ), so `link show dev` of it always fails. */
const sentinelDevice = "nl-sentinel-not-a-link";
const sentinelWords = `Device "${sentinelDevice}" does not exist.`;

/** How long an agent with nothing to do is kept. */
const idleMs = 2000;

export class NamespaceAgent {
  private readonly child: ChildProcess;
  private readonly pending: Pending[] = [];
  private stderr = "";
  /** Lines written to ip so far. */
  private lines = 0;
  private idle: NodeJS.Timeout | undefined;
  private ended = false;
  readonly exited: Promise<void>;

  constructor(
    readonly path: string,
    program: "unshare" | "nsenter",
    private readonly onEnd: (a: NamespaceAgent) => void,
  ) {
    this.child = spawn(program, [`--net=${path}`, "ip", "-force", "-batch", "-"], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("close", () => resolve()));
    this.child.stdout!.resume(); // what `link show` and the like print is not used
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (text: string) => this.read(text));
    this.child.stdin!.on("error", () => undefined); // an exited agent: its "close" fails the scripts
    this.child.once("close", (code) => this.fail(this.stderr.trim() || `exit status ${code}`));
    this.child.once("error", (e: NodeJS.ErrnoException) => this.fail(e.code === "ENOENT" ? `${program} is not installed (netledger needs util-linux and iproute2)` : e.message));
    this.setReferenced(false);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs the lines in the namespace; rejects with what ip printed when one of them failed. */
  run(lines: readonly string[], signal?: AbortSignal): Promise<void> {
    if (this.ended) return Promise.reject(new NetledgerError("DriverError", `the ip agent of ${this.path} has ended`));
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    const script = lines.filter((l) => l !== "");
    this.lines += script.length + 1;
    const sentinel = this.lines;
    const done = new Promise<void>((resolve, reject) => this.pending.push({ sentinel, output: [], failed: false, resolve, reject }));
    if (this.idle) clearTimeout(this.idle);
    this.setReferenced(true);
    this.child.stdin!.write([...script, `link show dev ${sentinelDevice}`, ""].join("\n"));
    // An abort ends the agent (what it was running is in doubt either way); the next script starts another.
    const onAbort = () => this.end();
    signal?.addEventListener("abort", onAbort, { once: true });
    return done.finally(() => signal?.removeEventListener("abort", onAbort));
  }

  /** Closes its stdin: ip finishes what it was given and exits. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle) clearTimeout(this.idle);
    this.onEnd(this);
    // Referenced until it has exited: a caller may be waiting for that (`endAgent`).
    this.setReferenced(true);
    this.child.stdin!.end();
  }

  /**
   * Reads ip's error output a whole line at a time: `Command failed -:N` names the line that failed,
   * and the sentinel's number ends its script (what came in between was the script's).
   */
  private read(text: string): void {
    this.stderr += text;
    for (let nl = this.stderr.indexOf("\n"); nl >= 0; nl = this.stderr.indexOf("\n")) {
      const line = this.stderr.slice(0, nl);
      this.stderr = this.stderr.slice(nl + 1);
      const p = this.pending[0];
      if (!p) continue;
      const failed = /^Command failed -:(\d+)$/.exec(line);
      if (!failed) {
        if (line !== sentinelWords) p.output.push(line);
        continue;
      }
      if (Number(failed[1]) < p.sentinel) {
        p.failed = true;
        continue;
      }
      this.pending.shift();
      if (p.failed) p.reject(this.error(p.output.join("\n") || "a line failed"));
      else p.resolve();
      if (this.pending.length === 0) this.rest();
    }
  }

  private error(words: string): ProgramError {
    return new ProgramError("ip", ["-force", "-batch", "-", `(in ${this.path})`], words, null);
  }

  private rest(): void {
    this.setReferenced(false);
    this.idle = setTimeout(() => this.end(), idleMs);
    this.idle.unref();
  }

  private fail(why: string): void {
    if (!this.ended) {
      this.ended = true;
      this.onEnd(this);
    }
    if (this.idle) clearTimeout(this.idle);
    for (const p of this.pending.splice(0)) p.reject(this.error([...p.output, why].join("\n")));
    this.setReferenced(false);
  }

  /** An agent keeps this process alive only while a script is waiting on it. */
  private setReferenced(on: boolean): void {
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdin] as Socket[]) {
      if (on) s.ref();
      else s.unref();
    }
    if (on) this.child.ref();
    else this.child.unref();
  }
}

const agents = new Map<string, NamespaceAgent>();

function forget(a: NamespaceAgent): void {
  if (agents.get(a.path) === a) agents.delete(a.path);
}

/** Makes the namespace bound at `path` (an empty file) and its agent, and runs the first lines there. */
export function createWithAgent(path: string, lines: readonly string[], signal?: AbortSignal): Promise<void> {
  void endAgent(path);
  const a = new NamespaceAgent(path, "unshare", forget);
  agents.set(path, a);
  return a.run(lines, signal);
}

/** Runs the lines in the namespace at `path` through its agent, starting one when it has none. */
export function runInNamespace(path: string, lines: readonly string[], signal?: AbortSignal): Promise<void> {
  let a = agents.get(path);
  if (!a) {
    a = new NamespaceAgent(path, "nsenter", forget);
    agents.set(path, a);
  }
  return a.run(lines, signal);
}

/** Ends the agent of `path`, if any; resolves once it has exited (its reference to the namespace dropped). */
export async function endAgent(path: string): Promise<void> {
  const a = agents.get(path);
  if (!a) return;
  a.end();
  await a.exited;
}

/** The process id of the agent of `path`, if this process has one running (tests). */
export function agentPid(path: string): number | undefined {
  return agents.get(path)?.pid;
}
