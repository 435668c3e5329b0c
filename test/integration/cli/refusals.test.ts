import { describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

/** The log as `log --json` prints it, for comparing before and after a refused command. */
async function logOf(db: string): Promise<string> {
  const r = await cli(["--db", db, "log", "--json"]);
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("network rm", () => {
  it("refuses a network with endpoints with an ActiveEndpoints error and changes nothing", async () => {
    const db = tempDb();
    const nl = (...a: string[]) => cli(["--db", db, ...a]);
    await nl("network", "create", "-d", "null", "n1");
    await nl("endpoint", "create", "n1", "e1");
    await nl("endpoint", "create", "n1", "e2");
    const before = await logOf(db);
    const r = await nl("network", "rm", "n1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^netledger: network n1 id [0-9a-f]{64} has active endpoints\n$/);
    const j = await nl("--json", "network", "rm", "n1");
    expect(JSON.parse(j.stderr).error.code).toBe("ActiveEndpoints");
    expect(await logOf(db)).toBe(before);
    expect(JSON.parse((await nl("--json", "network", "ls")).stdout)).toHaveLength(1);
  });

  it("with --force removes the endpoints first, each through its own events, leaving joined ones first", async () => {
    const db = tempDb();
    const nl = (...a: string[]) => cli(["--db", db, ...a]);
    await nl("network", "create", "-d", "null", "n1");
    await nl("endpoint", "create", "n1", "e1");
    await nl("endpoint", "create", "n1", "e2");
    await nl("sandbox", "create", "--host-netns", "c1");
    await nl("endpoint", "join", "n1", "e2", "c1");
    const seqBefore = (await logOf(db)).trim().split("\n").length;
    const r = await nl("network", "rm", "--force", "n1");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const after = (await logOf(db)).trim().split("\n").map((l) => JSON.parse(l)).slice(seqBefore);
    expect(after.map((e) => e.type).sort()).toEqual(
      ["endpoint.deleted", "endpoint.deleted", "endpoint.left", "network.deleted"].sort(),
    );
    expect(after.at(-1).type).toBe("network.deleted");
    const left = after.find((e) => e.type === "endpoint.left");
    expect(after.findIndex((e) => e.type === "endpoint.deleted" && e.data.id === left.data.id)).toBeGreaterThan(after.indexOf(left));
    const state = JSON.parse((await nl("--json", "replay")).stdout);
    expect(state.networks).toEqual([]);
    expect(state.endpoints).toEqual([]);
    expect(state.sandboxes).toEqual([expect.objectContaining({ containerId: "c1", endpoints: [] })]);
    expect((await nl("verify")).code).toBe(0);
  });

  it("removes the networks it can and names the one it cannot, like docker network rm a b c", async () => {
    const db = tempDb();
    const nl = (...a: string[]) => cli(["--db", db, ...a]);
    for (const n of ["a", "b", "c"]) await nl("network", "create", "-d", "null", n);
    await nl("endpoint", "create", "c", "busy");
    const r = await nl("network", "rm", "a", "b", "c");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("a\nb\n");
    expect(r.stderr).toMatch(/network c id [0-9a-f]+ has active endpoints/);
    const names = JSON.parse((await nl("--json", "network", "ls")).stdout).map((n: { name: string }) => n.name);
    expect(names).toEqual(["c"]);
  });
});

describe("bad input", () => {
  const cases: [string, string[], RegExp][] = [
    ["an invalid network name", ["network", "create", "-d", "null", "bad!name"], /invalid network name "bad!name": it must start with a letter or digit/],
    ["a name that is too long", ["network", "create", "-d", "null", "x".repeat(65)], /network name "x{65}" is too long: 65 characters, at most 64/],
    ["an unknown driver", ["network", "create", "-d", "nosuchdriver", "n2"], /network driver "nosuchdriver" is not registered/],
    ["an unknown network", ["endpoint", "create", "nosuchnet", "e9"], /network "nosuchnet" not found/],
    ["a malformed driver option", ["network", "create", "-d", "null", "-o", "novalue", "n3"], /malformed --opt "novalue": expected KEY=VALUE/],
    ["a malformed label", ["network", "create", "-d", "null", "--label", "=x", "n3"], /malformed --label "=x": expected KEY=VALUE/],
    ["a malformed port", ["endpoint", "create", "-p", "80:http", "n1", "e9"], /malformed port binding "80:http"/],
    ["an unknown endpoint", ["endpoint", "join", "n1", "nosuchep", "c1"], /endpoint "nosuchep" not found in network n1/],
    ["an unknown sandbox", ["endpoint", "join", "n1", "e1", "nosuchsandbox"], /sandbox "nosuchsandbox" not found/],
    ["a duplicate endpoint name", ["endpoint", "create", "n1", "e1"], /endpoint with name e1 already exists in network n1/],
    ["a relative --netns path", ["sandbox", "create", "--netns", "ns/x", "c9"], /--netns must be an absolute path/],
    ["a join of a joined endpoint", ["endpoint", "join", "n1", "e1", "c1"], /endpoint e1 \([0-9a-f]{12}\) is already joined to sandbox/],
    ["a leave of an endpoint not joined there", ["endpoint", "leave", "n1", "e2", "c1"], /endpoint e2 \([0-9a-f]{12}\) is not joined to sandbox/],
    ["removing a joined endpoint without --force", ["endpoint", "rm", "n1", "e1"], /is joined to sandbox [0-9a-f]{12}; leave it first or use --force/],
    ["a non-numeric replay bound", ["replay", "--until", "yesterday-ish"], /--until takes a seq/],
  ];

  it.each(cases)("%s gives exit 1, a message naming the problem, and leaves the log unchanged", async (_what, args, message) => {
    const db = tempDb();
    const nl = (...a: string[]) => cli(["--db", db, ...a]);
    await nl("network", "create", "-d", "null", "n1");
    await nl("endpoint", "create", "n1", "e1");
    await nl("endpoint", "create", "n1", "e2");
    await nl("sandbox", "create", "--host-netns", "c1");
    await nl("endpoint", "join", "n1", "e1", "c1");
    const before = await logOf(db);
    const r = await nl(...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^netledger: /);
    expect(r.stderr).toMatch(message);
    expect(await logOf(db)).toBe(before);
  });

  it("gives exit 2 for a usage error: a missing argument or an unknown option", async () => {
    const db = tempDb();
    expect((await cli(["--db", db, "network", "create"])).code).toBe(2);
    expect((await cli(["--db", db, "network", "ls", "--bogus"])).code).toBe(2);
    expect((await cli(["--db", db, "no-such-command"])).code).toBe(2);
  });

  it("answers --help for every command with exit 0 and an example", async () => {
    const r = await cli(["network", "create", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example:\n  netledger network create/);
  });
});
