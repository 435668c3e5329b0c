import { describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

/**
 * `--driver-opt` on `endpoint create` and `network connect`, as Docker's: the endpoint's driver options,
 * shown by endpoint inspect and in the log. Goldens under test/fixtures/golden/ls; update after a
 * deliberate change with `npx vitest run test/integration/cli/driverOpts.test.ts -u`.
 */
const golden = (name: string) => `../../fixtures/golden/ls/${name}`;

async function setUp() {
  const db = tempDb();
  const run = (...args: string[]) => cli(["--db", db, ...args], { NETLEDGER_HOST: "" });
  for (const step of [
    ["network", "create", "-d", "null", "--subnet", "10.81.0.0/24", "n1"],
    ["sandbox", "create", "--host-netns", "c1"],
    ["endpoint", "create", "--driver-opt", "mode=fast", "--driver-opt", "com.example.vlan=12", "n1", "e1"],
    ["network", "connect", "--driver-opt", "weight=3", "n1", "c1"],
    ["endpoint", "create", "n1", "plain"],
  ]) {
    const r = await run(...step);
    expect(r.stderr, step.join(" ")).toBe("");
    expect(r.code, step.join(" ")).toBe(0);
  }
  return run;
}

describe("--driver-opt", () => {
  it("shows endpoint create's and network connect's driver options in endpoint inspect", async () => {
    const run = await setUp();
    const r = await run("endpoint", "inspect", "-f", "{{.name}} {{json .driverOpts}}", "n1", "e1", "c1", "plain");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(golden("endpoint-driver-opts.txt"));
    const json = JSON.parse((await run("--json", "endpoint", "inspect", "n1", "e1")).stdout);
    expect(json.driverOpts).toEqual({ "com.example.vlan": "12", mode: "fast" });
  });

  it("writes the driver options of an endpoint's creation in the log, in words", async () => {
    const run = await setUp();
    const r = await run("log", "--type", "endpoint.created");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.includes("endpoint.created"));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/driver options com\.example\.vlan=12 mode=fast/);
    expect(lines[1]).toMatch(/driver options weight=3/);
    expect(lines[2]).not.toMatch(/driver options/);
  });

  it("refuses a --driver-opt that is not KEY=VALUE, and records nothing", async () => {
    const run = await setUp();
    const before = (await run("head")).stdout;
    for (const cmd of [["endpoint", "create", "--driver-opt", "novalue", "n1", "e2"], ["network", "connect", "--driver-opt", "=1", "n1", "c1"]]) {
      const r = await run(...cmd);
      expect(r.code, cmd.join(" ")).toBe(1);
      expect(r.stderr).toMatch(/malformed --driver-opt "(novalue|=1)": expected KEY=VALUE/);
    }
    expect((await run("head")).stdout).toBe(before);
  });
});
