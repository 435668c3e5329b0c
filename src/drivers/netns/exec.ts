import { execFile } from "node:child_process";
import { NetledgerError } from "../../domain/errors.js";

export interface RunOptions {
  /** Written to the program's stdin (an `ip -batch -` or `nft -f -` script). */
  input?: string;
  /** Run inside the network namespace bound at this path (through nsenter). */
  netns?: string;
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A failed program run, with what it printed: callers look at `stderr` to tell "exists" from a real error. */
export class ProgramError extends NetledgerError {
  constructor(
    readonly program: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super("DriverError", describe(program, args, stderr, exitCode), { program });
  }
}

function describe(program: string, args: readonly string[], stderr: string, exitCode: number | null): string {
  const text = stderr.trim().replace(/\s+/g, " ") || `exit status ${exitCode}`;
  const hint = /Operation not permitted|Permission denied/.test(stderr) ? " (this needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)" : "";
  return `${program} ${args.filter((a) => a !== "-").join(" ")}: ${text}${hint}`;
}

/**
 * Runs a program with an argument array, never through a shell (docs/architecture.md, drivers), optionally inside a
 * network namespace. Rejects with a ProgramError carrying stderr.
 */
export function run(program: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, argv] = opts.netns !== undefined ? ["nsenter", [`--net=${opts.netns}`, "--", program, ...args]] : [program, [...args]];
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      argv,
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const code = typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : null;
        if ((err as NodeJS.ErrnoException).code === "ENOENT")
          return reject(new NetledgerError("DriverError", `${file} is not installed (netledger needs iproute2, nftables and util-linux)`));
        reject(new ProgramError(program, args, stderr || err.message, code));
      },
    );
    // A program that exits without reading its input closes the pipe: that is its answer, not ours to throw.
    child.stdin?.on("error", () => {});
    child.stdin?.end(opts.input ?? "");
  });
}
