import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { type NetledgerError } from "../domain/errors.js";

/** Where the CLI writes, so tests and the daemon path can capture it. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** stdout is a terminal: colour and tables may be fancier. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** The terminal progress bars draw on: stderr when it is a terminal, else absent (no bar). */
  progress?: NodeJS.WriteStream;
  /** The clock relative times (`--since 10m`) count back from; default the system's. */
  now?: () => Date;
  /** Ends commands that run until interrupted (`log --follow`); default SIGINT. */
  signal?: AbortSignal;
  /** Resolves once stdout has taken what was written: long output waits on it (a pipe buffers otherwise). */
  drain?: () => Promise<void>;
  /** Shows a question on stderr and resolves with the line typed on stdin ("" at its end); absent: no one to ask. */
  ask?: (prompt: string) => Promise<string>;
}

/** One line from stdin after a prompt on stderr, as Docker's confirmations read it. */
function askOnStdin(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  return new Promise((resolve) => {
    let answered = false;
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!answered) resolve("");
    });
  });
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
  ask: askOnStdin,
  drain: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once("drain", resolve)) : Promise.resolve()),
});

/** A borderless table like docker's: a header row and columns separated by three spaces. */
export function table(head: string[], rows: (string | number | null)[][]): string {
  // Required at the first table, not at start-up (--help and --version draw none).
  const Table = createRequire(import.meta.url)("cli-table3") as typeof import("cli-table3");
  const t = new Table({
    head,
    chars: {
      top: "", "top-mid": "", "top-left": "", "top-right": "",
      bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
      left: "", "left-mid": "", mid: "", "mid-mid": "",
      right: "", "right-mid": "", middle: "   ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const r of rows) t.push(r.map((c) => (c === null ? "" : String(c))));
  return t.toString().split("\n").map((l) => l.trimEnd()).join("\n") + "\n";
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

export function errorText(e: NetledgerError, asJson: boolean): string {
  return asJson ? JSON.stringify({ error: { code: e.code, message: e.message } }) + "\n" : `netledger: ${e.message}\n`;
}
