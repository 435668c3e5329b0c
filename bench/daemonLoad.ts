import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpApi } from "../src/daemon/client.js";
import type { ClientReport } from "./daemonClient.js";

/**
 * The daemon under load from separate client processes (bench/daemonClient), and the same clients
 * against a raw HTTP server for the floor.
 */

const here = dirname(fileURLToPath(import.meta.url));

function repoRoot(): string {
  let dir = here;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${here}`);
    dir = up;
  }
  return dir;
}

function script(name: string): string[] {
  return ["--import", "tsx", join(here, `${name}.ts`)];
}

/** Starts a server process and resolves once it prints that it listens. */
function startServer(argv: string[]): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NETLEDGER_HOST: "" } });
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`${argv.join(" ")} exited (${code}) before listening: ${err}`)));
    child.stdout!.setEncoding("utf8").on("data", (d) => {
      out += d;
      if (!out.includes("listening on")) return;
      child.removeAllListeners("exit");
      resolve({
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

function runClient(mode: "daemon" | "raw", socket: string, index: number, durationMs: number): Promise<ClientReport> {
  const child = spawn(process.execPath, [...script("daemonClient"), mode, socket, String(index), String(durationMs)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      try {
        resolve(JSON.parse(out) as ClientReport);
      } catch {
        reject(new Error(`load client ${index} exited (${code}) without a report: ${err}`));
      }
    });
  });
}

export interface LoadResult {
  /** Every round trip, of every client, in ms. */
  latenciesMs: number[];
  /** Request ids the daemon acknowledged. */
  acked: number;
  /** Acknowledged request ids missing from the log. */
  lost: string[];
  /** Client errors (a client that stops early says why). */
  errors: string[];
  durationMs: number;
}

async function clients(mode: "daemon" | "raw", socket: string, n: number, durationMs: number): Promise<ClientReport[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => runClient(mode, socket, i, durationMs)));
}

/** `n` client processes sending commands to a fresh daemon for `durationMs`, then a check that the log holds each acknowledged one. */
export async function daemonLoad(n: number, durationMs: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "netledger-bench-"));
  const socket = join(dir, "d.sock");
  try {
    const daemon = await startServer([join(repoRoot(), "bin", "netledger.js"), "--db", join(dir, "n.db"), "serve", "--socket", socket]);
    let reports: ClientReport[];
    const seen = new Set<string>();
    try {
      reports = await clients("daemon", socket, n, durationMs);
      const api = new HttpApi({ host: `unix://${socket}` });
      try {
        for await (const e of api.events()) if (e.meta.requestId !== undefined) seen.add(e.meta.requestId);
      } finally {
        await api.close();
      }
    } finally {
      await daemon.stop();
    }
    const acked = reports.flatMap((r) => r.acked);
    return {
      latenciesMs: reports.flatMap((r) => r.latenciesMs),
      acked: acked.length,
      lost: acked.filter((id) => !seen.has(id)),
      errors: reports.flatMap((r) => (r.error ? [r.error] : [])),
      durationMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same clients against a server that answers at once: what HTTP on a UNIX socket costs by itself. */
export async function rawLoad(n: number, durationMs: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "netledger-bench-"));
  const socket = join(dir, "raw.sock");
  try {
    const server = await startServer([...script("rawServer"), socket]);
    let reports: ClientReport[];
    try {
      reports = await clients("raw", socket, n, durationMs);
    } finally {
      await server.stop();
    }
    return {
      latenciesMs: reports.flatMap((r) => r.latenciesMs),
      acked: 0,
      lost: [],
      errors: reports.flatMap((r) => (r.error ? [r.error] : [])),
      durationMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The q-quantile (0 < q ≤ 1) of some numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}
