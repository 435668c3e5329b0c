import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, runCliOnTerminal } from "../../helpers/cli.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { fileTempDir } from "../../helpers/tmp.js";

/** On a pseudo-terminal (script), piped, and with NO_COLOR: colour only where a person reads it. */
let db: string;

beforeAll(() => {
  db = join(fileTempDir(), "netledger.db");
  writeFixtureLog(db);
});

const escape = "\u001b[";

describe("colour", () => {
  it("colours the log on a terminal", async () => {
    const r = await runCliOnTerminal(["--db", db, "log"], { NO_COLOR: "" });
    expect(r.code).toBe(0);
    expect(r.output).toContain(`${escape}32mnetwork.created`); // green: an entity made
    expect(r.output).toContain(`${escape}31meffect.failed`); // red: a failure
  });

  it("colours nothing on a terminal when NO_COLOR is set", async () => {
    const r = await runCliOnTerminal(["--db", db, "log"], { NO_COLOR: "1" });
    expect(r.code).toBe(0);
    expect(r.output).toContain("network.created");
    expect(r.output).not.toContain(escape);
  });

  it("colours nothing when piped", async () => {
    const r = await runCli(["--db", db, "topology"], { env: { NO_COLOR: "" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("joined");
    expect(r.stdout + r.stderr).not.toContain(escape);
  });
});

describe("progress", () => {
  it("draws no bar on a terminal for work well under a second", async () => {
    const r = await runCliOnTerminal(["--db", db, "verify"], { NO_COLOR: "1" });
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/^ok: 26 events/);
    expect(r.output).not.toContain("verify [");
  });
});
