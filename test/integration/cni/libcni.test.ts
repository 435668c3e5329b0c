import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLibcniClient, libcniMissing, pluginDir } from "../../helpers/cni/plugin.js";
import { runCli } from "../../helpers/cli.js";
import { cleanupKernel, databaseIdOf, inNs, isRoot, makeNamespace, needsRoot } from "../../helpers/kernel.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * netledger-cni driven through libcni (Debian's, 1.1.2), by a small Go runtime of the project's own
 * (test/helpers/cni/libcniclient.go) built offline for the test: ADD, CHECK, DEL as libcni sends them,
 * its result cache and prevResult included.
 */

const missing = !isRoot ? needsRoot : libcniMissing();

describe.skipIf(missing !== undefined)(`netledger-cni through libcni${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const dir = fileTempDir("nlc-libcni-");
  const db = join(dir, "netledger.db");
  const runDir = join(dir, "run");
  const env = { NETLEDGER_RUN_DIR: runDir, NETLEDGER_HOST: "" };
  const tag = Math.random().toString(16).slice(2, 8);
  let client = "";
  let plugins = "";
  const conflist = join(dir, "nlcgo.conflist");
  const cache = join(dir, "cache");

  const nl = async (...args: string[]) => {
    const r = await runCli(["--db", db, ...args], { env });
    expect(r.stderr, args.join(" ")).toBe("");
    return r.stdout;
  };

  /** One libcni call; its exit status and what it printed (the result, or the plugin's error object). */
  function libcni(cmd: string, id: string, ns: string, args = ""): { code: number; json: Record<string, unknown> } {
    try {
      const out = execFileSync(client, [cmd, plugins, cache, conflist, id, ns, "eth0", args], { env: { ...process.env, ...env }, encoding: "utf8" });
      return { code: 0, json: JSON.parse(out) as Record<string, unknown> };
    } catch (e) {
      const err = e as { status?: number; stdout?: string };
      return { code: err.status ?? -1, json: JSON.parse(err.stdout || "{}") as Record<string, unknown> };
    }
  }

  beforeAll(async () => {
    client = buildLibcniClient();
    plugins = pluginDir();
    await nl("network", "create", "-d", "bridge", "--subnet", "10.239.8.0/24", "-o", `com.docker.network.bridge.name=nlcg${tag}`, "nlcgo");
    // The conflist as `netledger cni conflist` prints it for this database.
    writeFileSync(conflist, await nl("cni", "conflist", "nlcgo"));
  }, 180_000);

  afterAll(async () => {
    await runCli(["--db", db, "network", "rm", "--force", "nlcgo"], { env });
    cleanupKernel(databaseIdOf(db), runDir);
  }, 60_000);

  it("adds, checks, fails CHECK once the interface is gone, deletes twice, and adds again; IP= gives that address", async () => {
    mkdirSync(join(runDir, "cni-ns"), { recursive: true });
    const ns = join(runDir, "cni-ns", `nlc-${tag}-go`);
    makeNamespace(ns);
    const id = `nlc-${tag}-go`;

    const added = libcni("ADD", id, ns, "IP=10.239.8.77");
    expect(added.code, JSON.stringify(added.json)).toBe(0);
    expect(added.json["ips"]).toEqual([{ address: "10.239.8.77/24", gateway: "10.239.8.1", interface: 1 }]);
    expect(inNs(ns, "ip", ["-br", "addr", "show", "eth0"])).toContain("10.239.8.77/24");

    expect(libcni("CHECK", id, ns).code).toBe(0);

    inNs(ns, "ip", ["link", "del", "eth0"]);
    const check = libcni("CHECK", id, ns);
    expect(check.code).not.toBe(0);
    expect(check.json["code"]).toBe(120);
    expect(String(check.json["msg"])).toContain("interface eth0 is missing");

    expect(libcni("DEL", id, ns).code).toBe(0);
    const head = await nl("head");
    expect(libcni("DEL", id, ns).code).toBe(0);
    expect(await nl("head")).toBe(head);
    expect(JSON.parse(await nl("--json", "sandbox", "ls"))).toEqual([]);

    const again = libcni("ADD", id, ns);
    expect(again.code, JSON.stringify(again.json)).toBe(0);
    expect(inNs(ns, "ip", ["-br", "addr", "show", "eth0"])).toMatch(/10\.239\.8\.\d+\/24/);
    expect(libcni("CHECK", id, ns).code).toBe(0);
    expect(libcni("DEL", id, ns).code).toBe(0);
    expect(JSON.parse(await nl("--json", "gc", "--dry-run"))).toMatchObject({ found: [], errors: [] });
  }, 180_000);
});
