import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * Golden output of the operator's commands on the fixture log (test/fixtures/ops-log.jsonl: fixed ids,
 * times and actors), as text and as JSON. The goldens are under test/fixtures/golden; after a deliberate
 * change of output, review it and update them with `npx vitest run test/integration/cli -u`.
 */
const golden = (name: string) => `../../fixtures/golden/${name}`;

let db: string;
// The fixture log has an effect left open by a process that is gone: a daemon would take it over as it
// starts and the goldens would show its recovery. The operator's tools read the file either way.
const run = (...args: string[]) => cli(["--db", db, ...args], { NETLEDGER_HOST: "" }, { now: new Date("2024-05-01T10:40:00Z") });

/** Runs a command that must succeed and compares its stdout with a golden file. */
async function expectGolden(name: string, ...args: string[]): Promise<void> {
  const r = await run(...args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  await expect(r.stdout).toMatchFileSnapshot(golden(name));
}

beforeAll(() => {
  db = join(fileTempDir(), "netledger.db");
  writeFixtureLog(db);
});

describe("netledger log on the fixture log", () => {
  it("prints who did what, when, to which entity by name", () => expectGolden("log.txt", "log"));
  it("prints one §3 event object per line with --json", () => expectGolden("log.jsonl", "--json", "log"));
  it("filters by time, actor and family", () => expectGolden("log-filtered.txt", "log", "--since", "2024-05-01T09:30", "--until", "2024-05-01T10:05:00Z", "--type", "endpoint"));
  it("reads a time ago against the clock", () => expectGolden("log-since-15m.txt", "log", "--since", "15m"));
  it("shows the last events with --last", () => expectGolden("log-last.jsonl", "--json", "log", "--last", "2"));
  it("filters by actor, given before or after the command", async () => {
    await expectGolden("log-actor.txt", "log", "--actor", "carol");
    expect((await run("--actor", "carol", "log")).stdout).toBe((await run("log", "--actor", "carol")).stdout);
  });

  it("finds every network that held a reused name, and says so on stderr", async () => {
    const r = await run("log", "--stream", "scratch");
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(golden("log-stream-scratch.txt"));
    expect(r.stderr).toMatch(/"scratch" named 2 entities over time; showing the events of all: network scratch 3115bc7dcc4c \(created at seq 14\), network scratch 9cc7e01a566c \(created at seq 16\)/);
  });

  it("finds a deleted endpoint by NETWORK/NAME", () => expectGolden("log-stream-endpoint.jsonl", "--json", "log", "--stream", "frontend/probe"));
});

describe("netledger replay, diff and topology on the fixture log", () => {
  it("replays the whole state, with the open effect in doubt", () => expectGolden("replay.txt", "replay"));
  it("replays as JSON", () => expectGolden("replay.json", "--json", "replay"));
  it("replays up to a seq", () => expectGolden("replay-until-15.txt", "replay", "--until", "15"));
  it("replays up to a time, the same as up to the last seq at or before it", async () => {
    const byTime = await run("--json", "replay", "--until", "2024-05-01T09:16:30Z");
    const bySeq = await run("--json", "replay", "--until", "15");
    expect(byTime.stdout).toBe(bySeq.stdout);
    await expect(bySeq.stdout).toMatchFileSnapshot(golden("replay-until-15.json"));
  });
  it("shows what changed between two points", () => expectGolden("diff-13-head.txt", "diff", "13", "head"));
  it("shows what changed as JSON", () => expectGolden("diff-13-head.json", "--json", "diff", "13"));
  it("says when nothing changed", () => expectGolden("diff-none.txt", "diff", "24", "24"));
  it("draws the topology as a tree", () => expectGolden("topology.txt", "topology"));
  it("draws an earlier topology", () => expectGolden("topology-until-12.txt", "topology", "--until", "12"));
  it("gives the topology as JSON", () => expectGolden("topology.json", "--json", "topology"));
  it("gives the topology as Graphviz DOT", () => expectGolden("topology.dot", "topology", "--dot"));
});

describe("netledger inspect and histories on the fixture log", () => {
  it("shows the history of both networks that were called scratch", () => expectGolden("network-history.txt", "network", "inspect", "--history", "scratch"));
  it("shows a network history as JSON", () => expectGolden("network-history.json", "--json", "network", "inspect", "--history", "backend"));
  it("shows an endpoint's history, a deleted one's too", () => expectGolden("endpoint-history.txt", "endpoint", "inspect", "--history", "backend", "db-1"));
  it("shows a sandbox's history with the joins and leaves of endpoints", () => expectGolden("sandbox-history.txt", "sandbox", "inspect", "--history", "web-1"));
  it("finds any entity by name with the top-level inspect", () => expectGolden("inspect-web-1.json", "inspect", "backend/web-1", "web-1"));
  it("shows the history of any entity with the top-level inspect", () => expectGolden("inspect-history-probe.txt", "inspect", "--history", "frontend/probe"));
});

describe("netledger verify and head on the fixture log", () => {
  it("verifies the chain and the replay", () => expectGolden("verify.txt", "verify"));
  it("reports verification as JSON", () => expectGolden("verify.json", "--json", "verify"));
  it("prints the head as SEQ:HASH", () => expectGolden("head.txt", "head"));
  it("prints the head as JSON", () => expectGolden("head.json", "--json", "head"));
  it("accepts the head it printed", async () => {
    const head = (await run("head")).stdout.trim();
    const r = await run("verify", "--expect-head", head);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("expected head found");
  });
});

describe("netledger completion", () => {
  it("prints a bash completion script", () => expectGolden("completion.bash", "completion", "bash"));
  it("prints a zsh completion script", () => expectGolden("completion.zsh", "completion", "zsh"));
});
