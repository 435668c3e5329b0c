import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Asking DNS questions from inside a sandbox's namespace, for the embedded DNS tests and bench. Every
 * call is a child process awaited asynchronously: the process under test serves the answers, so it
 * must not block while its own questions are asked.
 */
const clientPath = fileURLToPath(new URL("./dnsClient.cjs", import.meta.url));
const dnsPacketPath = createRequire(import.meta.url).resolve("dns-packet");

export interface DnsAnswer {
  rcode?: number;
  tc?: boolean;
  answers?: { type: string; data: string }[];
  timeout?: boolean;
  closed?: boolean;
}

export function run(program: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { encoding: "utf8", env: { ...process.env, NLD_DNS_PACKET: dnsPacketPath, ...env }, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Runs dnsClient.cjs in the namespace at `ns` and returns what it printed. It waits 10 s for an answer,
 * or `waitMs` where no answer is what the test expects.
 */
export async function client<T = DnsAnswer>(ns: string, args: string[], waitMs?: number): Promise<T> {
  const env = waitMs !== undefined ? { NLD_DNS_TIMEOUT_MS: String(waitMs) } : {};
  const r = await run("nsenter", [`--net=${ns}`, "--", process.execPath, clientPath, ...args], env);
  if (r.code !== 0) throw new Error(`dns client in ${ns} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export const ask = (ns: string, server: string, name: string, type = "A", proto: "udp" | "tcp" = "udp") => client(ns, ["ask", proto, server, name, type]);

/** Asks, expecting silence: waits 2 s. */
export const askSilence = (ns: string, server: string, name: string) => client(ns, ["ask", "udp", server, name, "A"], 2_000);

/** The first nameserver a resolv.conf names. */
export function nameserverOf(resolvConfPath: string): string {
  const m = /^nameserver\s+(\S+)/m.exec(readFileSync(resolvConfPath, "utf8"));
  if (!m) throw new Error(`${resolvConfPath} names no nameserver`);
  return m[1]!;
}

/**
 * The system resolver inside the namespace: glibc's `getent ahostsv4`, with the sandbox's resolv.conf
 * bind-mounted over /etc/resolv.conf in a mount namespace of its own (what a runtime does). The
 * addresses found, none when the name does not resolve.
 */
export async function getent(ns: string, resolvConfPath: string, name: string): Promise<string[]> {
  const r = await run("nsenter", [`--net=${ns}`, "--", "unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec getent ahostsv4 "$1"', resolvConfPath, name]);
  return [...new Set(r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => l.split(/\s+/)[0]!))];
}
