import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

describe("the CLI's edges as a Docker user meets them", () => {
  it("gives usage errors as JSON with --json, still exit 2", async () => {
    const cases: [string[], string][] = [
      [["--json", "network", "ls", "--bogus"], "unknown option '--bogus'"],
      [["--json", "network", "create"], "missing required argument 'name'"],
      [["--json", "nosuch"], "unknown command 'nosuch'"],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, { NETLEDGER_HOST: "" });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(JSON.parse(r.stderr)).toEqual({ error: { code: "InvalidParameter", message } });
    }
    const plain = await cli(["network", "ls", "--bogus"], { NETLEDGER_HOST: "" });
    expect(plain.stderr).toContain("error: unknown option '--bogus'");
  });

  it("lists nothing on a database that does not exist yet, exit 0, and does not create it", async () => {
    const db = join(tempDir(), "sub", "never.db");
    const env = { NETLEDGER_HOST: "" };
    expect(await cli(["--db", db, "network", "ls"], env)).toEqual({ code: 0, stdout: "NETWORK ID   NAME   DRIVER   SCOPE   STATE\n", stderr: "" });
    expect(await cli(["--db", db, "--json", "endpoint", "ls"], env)).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
    expect(await cli(["--db", db, "sandbox", "ls", "-q"], env)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await cli(["--db", db, "log"], env)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(existsSync(db)).toBe(false);
    expect(existsSync(join(db, ".."))).toBe(false);
  });

  it("writes address and pool events in words in the log", async () => {
    const db = tempDb();
    const run = (...a: string[]) => cli(["--db", db, ...a]);
    expect((await run("network", "create", "-d", "null", "--subnet", "10.66.0.0/24", "--ip-range", "10.66.0.128/25", "n1")).code).toBe(0);
    expect((await run("endpoint", "create", "n1", "e1")).code).toBe(0);
    expect((await run("endpoint", "rm", "n1", "e1")).code).toBe(0);
    const log = (await run("log")).stdout;
    expect(log).toContain("pool 10.66.0.0/24 range 10.66.0.128/25 for n1 from default");
    expect(log).toContain("address reserved: 10.66.0.1 as gateway of n1");
    expect(log).toMatch(/address given: 10\.66\.0\.128 as endpoint of /);
    expect(log).toMatch(/address released: 10\.66\.0\.128 as endpoint of /);
    expect(log).not.toMatch(/\{"/);
  });
});
