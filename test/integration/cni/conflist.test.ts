import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { startDaemon, stopDaemon } from "../../helpers/daemon.js";
import { tempDir } from "../../helpers/tmp.js";

describe("netledger cni conflist", () => {
  it("prints a conflist for the network naming the database the command was pointed at", async () => {
    const dir = tempDir("nlc-conflist-");
    const db = join(dir, "netledger.db");
    const env = { NETLEDGER_HOST: "", NETLEDGER_RUN_DIR: join(dir, "run") };
    expect((await runCli(["--db", db, "network", "create", "-d", "null", "nlcweb"], { env })).code).toBe(0);
    const r = await runCli(["--db", db, "cni", "conflist", "nlcweb"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cniVersion: "1.0.0",
      name: "nlcweb",
      plugins: [{ type: "netledger-cni", network: "nlcweb", db, capabilities: { portMappings: true, ips: true, mac: true, aliases: true } }],
    });
    const missing = await runCli(["--db", db, "cni", "conflist", "nlc-none"], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
  }, 60_000);

  it("names the daemon when the command goes through one", async () => {
    const dir = tempDir("nlc-conflist-");
    const db = join(dir, "netledger.db");
    const env = { NETLEDGER_HOST: "", NETLEDGER_RUN_DIR: join(dir, "run") };
    expect((await runCli(["--db", db, "network", "create", "-d", "null", "nlcweb"], { env })).code).toBe(0);
    const d = await startDaemon(db, { env });
    try {
      const r = await runCli(["cni", "conflist", "--cni-version", "0.4.0", "nlcweb"], { env: { ...env, NETLEDGER_HOST: d.host } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ cniVersion: "0.4.0", plugins: [{ type: "netledger-cni", network: "nlcweb", host: d.host }] });
    } finally {
      await stopDaemon(d);
    }
  }, 60_000);
});
