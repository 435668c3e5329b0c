import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cniCall, cniEnv } from "../../helpers/cni/plugin.js";
import { runCli } from "../../helpers/cli.js";
import { startDaemon, stopDaemon, type TestDaemon } from "../../helpers/daemon.js";
import { cleanupKernel, databaseIdOf, inNs, isRoot, makeNamespace, needsRoot } from "../../helpers/kernel.js";
import { tempDir } from "../../helpers/tmp.js";

/**
 * The daemon SIGKILLed half way through an ADD (inside the bridge driver's Join): the runtime sees
 * "try again later", then sends DEL, then a new ADD, as podman does after a failed ADD; netledger
 * ends consistent — the chain verifies, nothing is pending or in doubt, the container is attached once.
 */

const daemons: TestDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await stopDaemon(d);
});

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!isRoot)(`netledger-cni with its daemon killed during an ADD (${isRoot ? "as root" : needsRoot})`, () => {
  it("ends consistent after the runtime's DEL and a new ADD", async () => {
    const dir = tempDir("nlc-kill-");
    const db = join(dir, "netledger.db");
    const runDir = join(dir, "run");
    const env = { NETLEDGER_RUN_DIR: runDir, NETLEDGER_HOST: "" };
    const tag = Math.random().toString(16).slice(2, 8);
    const nl = async (...args: string[]) => {
      const r = await runCli(["--db", db, ...args], { env });
      expect(r.stderr, args.join(" ")).toBe("");
      return r.stdout;
    };
    await nl("network", "create", "-d", "bridge", "--subnet", "10.239.11.0/24", "-o", `com.docker.network.bridge.name=nlcx${tag}`, "nlckill");
    mkdirSync(join(runDir, "cni-ns"), { recursive: true });
    const ns = join(runDir, "cni-ns", `nlc-${tag}-kill`);
    makeNamespace(ns);
    const socket = join(dir, "d.sock");
    const conf = JSON.stringify({ cniVersion: "1.0.0", name: "nlckill", type: "netledger-cni", network: "nlckill", host: `unix://${socket}` });
    const id = `nlc-${tag}-kill`;
    const call = (command: string) => cniCall({ ...cniEnv(command, id, ns), ...env }, conf);
    try {
      const marker = join(dir, "halted");
      const first = await startDaemon(db, { socket, env: { ...env, NETLEDGER_TEST_HALT: `bridge.join:${marker}` } });
      const add = call("ADD");
      await until("the daemon to halt inside Join", () => existsSync(marker) && readFileSync(marker, "utf8") !== "");
      first.child.kill("SIGKILL");
      const failed = await add;
      expect(failed.code).not.toBe(0);
      expect(failed.json?.["code"], failed.stdout).toBe(11);

      daemons.push(await startDaemon(db, { socket, env }));
      const del = await call("DEL");
      expect(del.code, del.stdout).toBe(0);
      expect(JSON.parse(await nl("--json", "sandbox", "ls"))).toEqual([]);

      const again = await call("ADD");
      expect(again.code, again.stdout).toBe(0);
      expect(inNs(ns, "ip", ["-br", "addr", "show", "eth0"])).toMatch(/10\.239\.11\.\d+\/24/);

      expect(await nl("verify")).toMatch(/^ok/);
      const state = JSON.parse(await nl("--json", "replay")) as { endpoints: unknown[]; effects: { pending: unknown[]; inDoubt: unknown[] } };
      expect(state.effects).toEqual({ pending: [], inDoubt: [] });
      expect(state.endpoints).toHaveLength(1);

      expect((await call("DEL")).code).toBe(0);
      expect(JSON.parse(await nl("--json", "gc", "--dry-run"))).toMatchObject({ found: [], errors: [] });
    } finally {
      for (const d of daemons.splice(0)) await stopDaemon(d);
      await runCli(["--db", db, "network", "rm", "--force", "nlckill"], { env });
      cleanupKernel(databaseIdOf(db), runDir);
    }
  }, 240_000);
});
