import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginDir } from "../../helpers/cni/plugin.js";
import { podmanIn, podmanMissing, type Podman, runFlags } from "../../helpers/cni/podman.js";
import { runCli } from "../../helpers/cli.js";
import { cleanupKernel, databaseIdOf, linksOf } from "../../helpers/kernel.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * podman 4.3 with its CNI backend on a netledger network: containers reach each other, a published
 * port answers on the host's addresses, `rm -f` leaves nothing, and the log is the runtime's audit trail.
 */

const missing = podmanMissing();

/** 8080 as the issue asks, unless something on this machine holds it: then a free port. */
async function hostPort(): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer().once("error", reject);
      s.listen(p, "0.0.0.0", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  return tryPort(8080).catch(() => tryPort(0));
}

/** The host's first global IPv4 address that is not loopback. */
function hostAddress(): string | undefined {
  const rows = JSON.parse(execFileSync("ip", ["-j", "-4", "addr", "show", "scope", "global"], { encoding: "utf8" })) as { ifname: string; addr_info: { local: string }[] }[];
  return rows.filter((r) => !r.ifname.startsWith("nl")).flatMap((r) => r.addr_info.map((a) => a.local))[0];
}

async function get(url: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(3000) })).status;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return -1;
}

describe.skipIf(missing !== undefined)(`podman through netledger-cni${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const dir = fileTempDir("nlc-podman-");
  const db = join(dir, "netledger.db");
  const runDir = join(dir, "run");
  const env = { NETLEDGER_RUN_DIR: runDir, NETLEDGER_HOST: "" };
  const tag = Math.random().toString(16).slice(2, 8);
  const names = [`nlc-${tag}-ping`, `nlc-${tag}-web`];
  let podman: Podman;

  const nl = async (...args: string[]) => {
    const r = await runCli(["--db", db, ...args], { env });
    expect(r.stderr, args.join(" ")).toBe("");
    return r.stdout;
  };

  beforeAll(async () => {
    podman = podmanIn(dir, pluginDir(), env);
    await nl("network", "create", "-d", "bridge", "--subnet", "10.239.10.0/24", "-o", `com.docker.network.bridge.name=nlck${tag}`, "nlcpod");
    writeFileSync(join(podman.cniDir, "nlcpod.conflist"), await nl("cni", "conflist", "nlcpod"));
  }, 120_000);

  afterAll(async () => {
    try {
      podman("rm", "-f", "--ignore", ...names);
    } catch {
      /* teardown goes on */
    }
    await runCli(["--db", db, "network", "rm", "--force", "nlcpod"], { env });
    cleanupKernel(databaseIdOf(db), runDir);
    rmSync(join(dir, "root"), { recursive: true, force: true });
  }, 120_000);

  it("runs two containers that ping each other and publish a port on the host's addresses; rm -f leaves nothing; the log has every ADD and DEL", async () => {
    const port = await hostPort();
    const [pinger, web] = names as [string, string];
    const ids = [
      podman("run", "-d", "--name", pinger, "--network", "nlcpod", ...runFlags, "--rootfs", podman.rootfs, "sleep", "600").trim(),
      podman("run", "-d", "--name", web, "--network", "nlcpod", ...runFlags, "-p", `${port}:80`, "--rootfs", podman.rootfs, "httpd", "-f", "-p", "80", "-h", "/").trim(),
    ];
    const ipOf = (n: string) => podman("inspect", n, "--format", "{{.NetworkSettings.Networks.nlcpod.IPAddress}}").trim();
    expect(ipOf(pinger)).toMatch(/^10\.239\.10\.\d+$/);
    const webIp = ipOf(web);
    expect(webIp).toMatch(/^10\.239\.10\.\d+$/);

    expect(podman("exec", pinger, "ping", "-c", "1", "-W", "5", webIp)).toContain("1 packets received");
    expect(await get(`http://127.0.0.1:${port}/etc/passwd`)).toBe(200);
    const address = hostAddress();
    if (address) expect(await get(`http://${address}:${port}/etc/passwd`)).toBe(200);
    else console.warn("no global IPv4 address on this host: only 127.0.0.1 was tried");

    podman("rm", "-f", ...names);
    // podman's own cleanup process (conmon's) may still be finishing a DEL of its own when rm returns;
    // one it killed part way is left to recovery, as any interrupted command is.
    const settled = async () => JSON.parse(await nl("--json", "sandbox", "ls")).length === 0 && JSON.parse(await nl("--json", "gc", "--dry-run")).found.length === 0;
    let ok = false;
    for (let i = 0; i < 40 && !(ok = await settled()); i++) await new Promise((r) => setTimeout(r, 500));
    if (!ok) {
      // Says what, so that a cause other than a slow cleanup can be told apart.
      const left = `sandboxes ${await nl("--json", "sandbox", "ls")}; gc ${JSON.stringify(JSON.parse(await nl("--json", "gc", "--dry-run")).found)}`;
      console.warn(`after podman rm -f something was left after 20 s: ${left}; recover: ${await nl("recover")}`);
    }
    const gc = await nl("--json", "gc", "--dry-run");
    expect(JSON.parse(gc), gc).toMatchObject({ found: [], errors: [] });
    expect(JSON.parse(await nl("--json", "sandbox", "ls"))).toEqual([]);
    // Only the network's bridge is left: no endpoint's link.
    expect(linksOf(databaseIdOf(db)).map((l) => l.ifname)).toEqual([`nlck${tag}`]);
    expect(await nl("verify")).toMatch(/^ok/);

    type Row = { type: string; meta: { labels?: Record<string, string> } };
    const log = (await nl("--json", "log", "--actor", "cni")).trim().split("\n").map((l) => JSON.parse(l) as Row);
    for (const id of ids) {
      const mine = log.filter((e) => e.meta.labels?.["CNI_CONTAINERID"] === id);
      expect(mine.some((e) => e.meta.labels?.["CNI_COMMAND"] === "ADD" && e.type === "endpoint.created"), `ADD of ${id}`).toBe(true);
      expect(mine.some((e) => e.meta.labels?.["CNI_COMMAND"] === "DEL" && e.type === "endpoint.left"), `DEL of ${id}`).toBe(true);
      expect(mine.some((e) => e.meta.labels?.["CNI_COMMAND"] === "DEL" && e.type === "sandbox.deleted"), `sandbox of ${id}`).toBe(true);
      expect(mine.every((e) => e.meta.labels?.["K8S_POD_NAME"] !== undefined)).toBe(true);
    }
  }, 300_000);
});
