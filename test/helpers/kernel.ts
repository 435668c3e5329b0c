import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import Database from "better-sqlite3";
import { afterEach, expect } from "vitest";
import { runCli } from "./cli.js";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { hasProgram } from "./programs.js";

/**
 * Helpers for tests on real kernel objects (root only). Everything a test makes carries a test
 * database id (`7e57…`), and `cleanupKernel` removes what carries it — links by alias, namespaces
 * under the test's run directory, the nftables table — with iproute2, nft and umount directly, not
 * with the code under test, so that teardown works even when that code is broken.
 */
export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
export const needsRoot = "needs root: real namespaces, links and nftables";

/** Root, and the programs the kernel tests drive (iproute2, nftables): without them they skip, saying why. */
export const kernelReady = isRoot && hasProgram("ip") && hasProgram("nft") && hasProgram("nsenter");
export const needsKernel = `needs root, ip, nft and nsenter: real namespaces, links and nftables${isRoot ? `; missing: ${["ip", "nft", "nsenter"].filter((p) => !hasProgram(p)).join(", ") || "none"}` : ""}`;

/** A database id that says it belongs to a test. */
export function testDatabaseId(): string {
  return "7e57" + randomBytes(14).toString("hex");
}

export const randomId = (): string => randomBytes(32).toString("hex");

export function sh(program: string, args: string[], input?: string): string {
  return execFileSync(program, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...(input !== undefined ? { input } : {}) });
}

/** `program args` inside the namespace bound at `ns`. */
export function inNs(ns: string, program: string, args: string[]): string {
  return sh("nsenter", [`--net=${ns}`, "--", program, ...args]);
}

interface LinkJson {
  ifname: string;
  ifalias?: string;
  master?: string;
  address?: string;
  mtu: number;
  flags: string[];
  linkinfo?: { info_kind?: string };
}

export function links(ns?: string): LinkJson[] {
  const out = ns ? inNs(ns, "ip", ["-j", "-d", "link", "show"]) : sh("ip", ["-j", "-d", "link", "show"]);
  return JSON.parse(out) as LinkJson[];
}

/** Host links whose alias names this database. */
export function linksOf(databaseId: string): LinkJson[] {
  return links().filter((l) => l.ifalias?.includes(`/${databaseId}/`));
}

export function isNamespaceFile(path: string): boolean {
  try {
    return statfsSync(path).type === 0x6e736673;
  } catch {
    return false;
  }
}

export function nftTables(): string[] {
  return (JSON.parse(sh("nft", ["-j", "list", "tables", "inet"])).nftables as { table?: { name: string } }[])
    .map((t) => t.table?.name)
    .filter((n): n is string => n !== undefined);
}

export const tableOf = (databaseId: string): string => `netledger_${databaseId.slice(0, 8)}`;

/** Removes everything that carries `databaseId`, and every namespace bound under `runDir`; never throws. */
export function cleanupKernel(databaseId: string, runDir?: string): void {
  const tryIt = (fn: () => void) => {
    try {
      fn();
    } catch {
      /* teardown goes on */
    }
  };
  if (runDir && existsSync(runDir))
    for (const e of readdirSync(runDir, { recursive: true, encoding: "utf8" })) {
      const p = join(runDir, e);
      if (isNamespaceFile(p)) tryIt(() => sh("umount", [p]));
    }
  for (const l of linksOf(databaseId)) tryIt(() => sh("ip", ["link", "del", l.ifname]));
  if (nftTables().includes(tableOf(databaseId))) tryIt(() => sh("nft", ["delete", "table", "inet", tableOf(databaseId)]));
  if (runDir) tryIt(() => rmSync(runDir, { recursive: true, force: true }));
}

/** A namespace of the test's own (not netledger's), bound at `path`, loopback up. */
export function makeNamespace(path: string): void {
  sh("touch", [path]);
  sh("unshare", [`--net=${path}`, "ip", "link", "set", "lo", "up"]);
}

export function routes(ns: string, family: "-4" | "-6" = "-4"): string {
  return inNs(ns, "ip", [family, "route", "show"]);
}

const serverJs = `
const [name, port] = process.argv.slice(1);
require("net").createServer((s) => s.end(name)).listen(Number(port), "::", () => console.log("ready"));
`;

const clientJs = `
const [host, port] = process.argv.slice(1);
const s = require("net").connect({ host, port: Number(port), timeout: 1000 });
let d = "";
s.on("data", (c) => (d += c));
s.on("end", () => { process.stdout.write(d); process.exit(0); });
s.on("timeout", () => { process.stderr.write("timeout"); process.exit(2); });
s.on("error", (e) => { process.stderr.write(e.code || e.message); process.exit(3); });
`;

/** A TCP server in a namespace that answers every connection with `name` and closes. Kill it when done. */
export async function tcpServer(ns: string, port: number, name: string): Promise<ChildProcess> {
  const child = spawn("nsenter", [`--net=${ns}`, "--", process.execPath, "-e", serverJs, name, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`server in ${ns} exited ${code}: ${err}`)));
  });
  return child;
}

/** Connects from a namespace (or the host, with `ns` null) and returns what the server said, or the error. */
export function tcpAsk(ns: string | null, host: string, port: number): { ok: boolean; text: string } {
  const args = [process.execPath, "-e", clientJs, host, String(port)];
  try {
    const out = ns ? sh("nsenter", [`--net=${ns}`, "--", ...args]) : sh(args[0]!, args.slice(1));
    return { ok: true, text: out };
  } catch (e) {
    return { ok: false, text: String((e as { stderr?: string }).stderr ?? e) };
  }
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}

/** Registers an afterEach in the calling file that runs the steps given to it, last first, each whatever the others do. */
export function teardownEach(): (step: () => void) => void {
  const steps: (() => void)[] = [];
  afterEach(() => {
    while (steps.length) {
      try {
        steps.pop()!();
      } catch {
        /* the rest still runs */
      }
    }
  });
  return (step) => void steps.push(step);
}

/** The id a database file was given at creation. */
export function databaseIdOf(db: string): string {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare("SELECT value FROM meta WHERE key = 'database_id'").get() as { value: string }).value;
  } finally {
    d.close();
  }
}

/** `netledger --db DB ARGS` in a child process with this run directory; expects success and returns stdout. */
export function cliAt(db: string, runDir: string): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const r = await runCli(["--db", db, ...args], { env: { NETLEDGER_RUN_DIR: runDir } });
    expect(r.stderr, args.join(" ")).toBe("");
    expect(r.code, args.join(" ")).toBe(0);
    return r.stdout;
  };
}
