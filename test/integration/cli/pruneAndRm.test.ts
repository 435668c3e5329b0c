import { describe, expect, it } from "vitest";
import { cli, runCli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

async function setup() {
  const db = tempDb();
  const run = (...a: string[]) => cli(["--db", db, ...a]);
  for (const s of [
    ["network", "create", "-d", "null", "used"],
    ["network", "create", "-d", "null", "--label", "team=web", "web"],
    ["network", "create", "-d", "null", "--label", "team=db", "spare"],
    ["endpoint", "create", "used", "e1"],
  ])
    expect((await run(...s)).code, s.join(" ")).toBe(0);
  const names = async () => (await run("network", "ls", "--format", "{{.Name}}")).stdout.trim().split("\n").filter(Boolean);
  return { db, run, names };
}

describe("network prune", () => {
  it("removes nothing when no one answers yes, and asks on stderr", async () => {
    const { db, names } = await setup();
    const no = await runCli(["--db", db, "network", "prune"], { input: "n\n" });
    expect(no.code).toBe(0);
    expect(no.stderr).toContain("WARNING! This will remove all custom networks not used by at least one container.");
    expect(await names()).toEqual(["used", "web", "spare"]);
    const yes = await runCli(["--db", db, "network", "prune"], { input: "y\n" });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toBe("Deleted Networks:\nweb\nspare\n");
    expect(await names()).toEqual(["used"]);
  });

  it("with -f and filters removes only the unused networks they match", async () => {
    const { run, names } = await setup();
    expect((await run("network", "prune", "-f", "--filter", "until=1h")).stdout).toBe("");
    expect(await names()).toEqual(["used", "web", "spare"]);
    const r = await run("--json", "network", "prune", "-f", "--filter", "label=team=web");
    expect(JSON.parse(r.stdout)).toEqual({ deleted: ["web"] });
    expect((await run("network", "prune", "-f", "--filter", "label!=team=db")).stdout).toBe("");
    expect((await run("network", "prune", "-f")).stdout).toBe("Deleted Networks:\nspare\n");
    expect(await names()).toEqual(["used"]);
    const bad = await run("network", "prune", "-f", "--filter", "driver=null");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/network prune takes until=TIME, label=KEY\[=VALUE\] or label!=KEY\[=VALUE\]/);
  });
});

describe("rm of several names", () => {
  it("removes several endpoints and sandboxes, names each failure, and exits 1 if any failed", async () => {
    const { run } = await setup();
    for (const s of [["endpoint", "create", "used", "e2"], ["endpoint", "create", "used", "e3"], ["sandbox", "create", "--host-netns", "c1"], ["sandbox", "create", "--host-netns", "c2"]])
      expect((await run(...s)).code).toBe(0);
    const eps = await run("endpoint", "rm", "used", "e1", "nope", "e2");
    expect(eps.code).toBe(1);
    expect(eps.stdout).toBe("e1\ne2\n");
    expect(eps.stderr).toMatch(/endpoint "nope" not found/);
    const json = await run("--json", "endpoint", "rm", "used", "e3");
    expect(JSON.parse(json.stdout)).toEqual({ removed: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const sbs = await run("--json", "sandbox", "rm", "c1", "c2");
    expect(sbs.code).toBe(0);
    expect(JSON.parse(sbs.stdout).removed).toHaveLength(2);
    expect((await run("sandbox", "ls", "-q")).stdout).toBe("");
  });
});

describe("network create --ipam-opt", () => {
  it("gives the options to the IPAM driver, and inspect shows them", async () => {
    const db = tempDb();
    const r = await cli(["--db", db, "network", "create", "-d", "null", "--subnet", "10.44.0.0/24", "--ipam-opt", "colour=blue", "--ipam-opt", "size=s", "n1"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse((await cli(["--db", db, "network", "inspect", "n1"])).stdout);
    expect(doc[0].IPAM.Options).toEqual({ colour: "blue", size: "s" });
  });
});
