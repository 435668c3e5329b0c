import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A three-member etcd cluster on loopback for tests: each member on its own free high ports, data
 * directories in a temporary folder named `nlx-etcd-…`, stopped by pid (SIGKILL: the last member of a
 * cluster can take 7 s to leave on SIGTERM, and tests gain nothing from a clean exit).
 */

export const etcdBinary = "/usr/bin/etcd";
export const haveEtcd = existsSync(etcdBinary);

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  child: ChildProcess | null;
  log: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs of every member, for `--cluster`. */
  endpoints: string[];
  dir: string;
  /** SIGKILLs one member and waits for it to exit. */
  kill(i: number): Promise<void>;
  /** Starts a stopped member again on its data directory. */
  start(i: number): Promise<void>;
  /** Resolves once `n` members (default all running) answer /health with true. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every member and removes the data directories. */
  stop(): Promise<void>;
}

/** Free TCP ports on loopback: bound to port 0, noted, released. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (typeof a !== "object" || a === null) throw new Error("no port");
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    const body = (await r.json()) as { health?: string };
    return body.health === "true";
  } catch {
    return false;
  }
}

/**
 * `prefix` names the data directories, member names and cluster token (a test's own, say `nls`);
 * `extra` are further flags for every member (a small `--quota-backend-bytes`, say).
 */
export async function startEtcdCluster(size = 3, prefix = "nlx", extra: string[] = []): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-etcd-`));
  const ports = await freePorts(size * 2);
  const token = `${prefix}-${process.pid}-${Date.now()}`;
  const members: EtcdMember[] = Array.from({ length: size }, (_, i) => ({
    name: `${prefix}${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: join(dir, `m${i + 1}`),
    child: null,
    log: "",
  }));
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");

  const launch = (m: EtcdMember) => {
    const child = spawn(
      etcdBinary,
      [
        "--name", m.name,
        "--data-dir", m.dataDir,
        "--listen-client-urls", m.clientUrl,
        "--advertise-client-urls", m.clientUrl,
        "--listen-peer-urls", m.peerUrl,
        "--initial-advertise-peer-urls", m.peerUrl,
        "--initial-cluster", initial,
        "--initial-cluster-token", token,
        "--initial-cluster-state", "new",
        // Faster elections on loopback: a killed leader is replaced in well under a second.
        "--heartbeat-interval", "50",
        "--election-timeout", "500",
        ...extra,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      m.log = (m.log + d).slice(-20_000);
    });
    m.child = child;
  };

  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once("exit", () => r()));

  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    dir,
    async kill(i) {
      const c = members[i]!.child;
      if (!c) return;
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, "SIGKILL");
      await exited(c);
      members[i]!.child = null;
    },
    async start(i) {
      if (members[i]!.child) return;
      launch(members[i]!);
    },
    async waitHealthy(timeoutMs = 30_000) {
      const running = members.filter((m) => m.child);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ok = await Promise.all(running.map((m) => healthy(m.clientUrl)));
        if (ok.every(Boolean)) return;
        if (Date.now() > deadline)
          throw new Error(`etcd not healthy after ${timeoutMs} ms:\n${running.map((m) => `${m.name}: ${m.log.slice(-1500)}`).join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      for (let i = 0; i < members.length; i++) await cluster.kill(i);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  members.forEach(launch);
  try {
    await cluster.waitHealthy();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
