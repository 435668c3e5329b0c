import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { fileTempDir, tempDb } from "../../helpers/tmp.js";
import { Store } from "../../../src/store/store.js";
import { chainHash } from "../../../src/store/hashChain.js";

/** Bad input to the operator's commands gets a clear error naming what was wrong, and changes nothing. */
let db: string;
// The fixture log has an effect left open by a process that is gone: a daemon would take it over as it
// starts, and these tests check that the operator's tools and refusals change nothing. So: no daemon.
const run = (...args: string[]) => cli(["--db", db, ...args], { NETLEDGER_HOST: "" });

beforeAll(() => {
  db = join(fileTempDir(), "netledger.db");
  writeFixtureLog(db);
});

async function expectError(args: string[], message: string | RegExp): Promise<void> {
  const r = await run(...args);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  if (typeof message === "string") expect(r.stderr).toBe(`netledger: ${message}\n`);
  else expect(r.stderr).toMatch(message);
}

describe("the operator's commands refuse bad input clearly", () => {
  it("names a point it cannot read", () =>
    expectError(
      ["log", "--since", "yesterday"],
      `--since takes a seq (42), "head", an ISO time (2024-05-01T10:00:00Z) or a time ago (30s, 10m, 2h, 3d, 1w), not "yesterday"`,
    ));

  it("names an event type or family that does not exist, with those that do", () =>
    expectError(["log", "--type", "netwrk"], /^netledger: no event type or family "netwrk" in the log; families: driver, network, endpoint, sandbox, ipam, effect, host; types: /));

  it("names an entity that was never in the log", () =>
    expectError(["log", "--stream", "nope"], `no network, endpoint or sandbox named "nope" has ever been in the log, and no stream has that id`));

  it("refuses a count of zero for --last", () => expectError(["log", "--last", "0"], `--last takes a count of events (a whole number above 0), not "0"`));

  it("refuses a point past the head", () => expectError(["replay", "--until", "99"], "--until 99 is past the head of the log (seq 26)"));

  it("refuses a diff whose points are the wrong way round", () => expectError(["diff", "20", "10"], "FROM (seq 20) is after TO (seq 10): give the earlier point first"));

  it("tells that an entity was deleted, and where its history is", () =>
    expectError(
      ["inspect", "frontend/probe"],
      `endpoint frontend/probe (4e9bc2afdd19) was deleted at seq 24; "netledger inspect --history frontend/probe" shows what happened to it`,
    ));

  it("says, when a network or sandbox is not found, that the log saw it deleted", async () => {
    const own = tempDb();
    for (const args of [["network", "create", "-d", "null", "gone"], ["network", "rm", "gone"], ["sandbox", "create", "--host-netns", "c9"], ["sandbox", "rm", "c9"]])
      expect((await cli(["--db", own, ...args])).code).toBe(0);
    const net = await cli(["--db", own, "network", "inspect", "gone"]);
    expect(net.code).toBe(1);
    expect(net.stderr).toMatch(/^Error: No such network: gone: network gone \([0-9a-f]{12}\) was deleted at seq 2; "netledger network inspect --history gone" shows its history\n$/);
    const sb = await cli(["--db", own, "sandbox", "inspect", "c9"]);
    expect(sb.stderr).toMatch(/^Error: No such sandbox: c9: sandbox c9 \([0-9a-f]{12}\) was deleted at seq 4; "netledger sandbox inspect --history c9" shows its history\n$/);
    expect((await cli(["--db", own, "network", "inspect", "never"])).stderr).toBe("Error: No such network: never\n");
  });

  it("says which kind it looked for", () => expectError(["network", "inspect", "--history", "web-1"], `no network "web-1" has ever been in the log`));

  it("gives errors as JSON with --json", async () => {
    const r = await run("--json", "replay", "--until", "99");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: "InvalidParameter", message: "--until 99 is past the head of the log (seq 26)" } });
  });

  it("names a database that does not exist", async () => {
    const missing = join(fileTempDir(), "missing.db");
    // (log, ls list nothing on a missing database; replay, which rebuilds a state, names it.)
    const r = await cli(["--db", missing, "replay"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`netledger: no netledger database at ${missing}\n`);
  });

  it("changed nothing: the log still verifies at the same head", async () => {
    const r = await run("verify");
    expect(r.stdout).toMatch(/^ok: 26 events, 0 snapshots, head 26:4f645722/);
  });
});

describe("the operator's commands at the edges of the log", () => {
  it("replays a time before the first event as the empty state", async () => {
    const r = await run("replay", "--until", "2023-12-31T00:00:00Z");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("state at seq 0 (the empty log)");
  });

  it("shows events of a type this netledger does not know, and verify names them", async () => {
    const newer = tempDb();
    writeFixtureLog(newer);
    // A newer netledger's event (IPAM, say), chained like any other.
    const store = Store.open(newer);
    const prev = store.log.head();
    const row = { seq: prev.seq + 1, stream: "volume:v1", type: "volume.attached", version: 1, data: '{"pool":"10.77.0.0/24"}', meta: '{"actor":"dave","time":"2024-05-01T11:00:00.000Z"}' };
    store.db
      .prepare("INSERT INTO events (seq, stream, type, version, data, actor, time, request_id, causation, hash) VALUES (?,?,?,?,?,?,?,NULL,NULL,?)")
      .run(row.seq, row.stream, row.type, row.version, row.data, "dave", "2024-05-01T11:00:00.000Z", chainHash(prev.hash, row));
    store.close();

    const log = await cli(["--db", newer, "log", "--type", "volume"]);
    expect(log.code).toBe(0);
    expect(log.stdout.split("\n")[1]).toMatch(/^ 27 +2024-05-01T11:00:00Z +dave +volume\.attached +volume:v1 +- +\{"pool":"10\.77\.0\.0\/24"\}$/);
    const json = await cli(["--db", newer, "--json", "log", "--since", "27"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ seq: 27, type: "volume.attached", stream: "volume:v1", version: 1, data: { pool: "10.77.0.0/24" } });

    const verify = await cli(["--db", newer, "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('seq 27: event 27 (volume.attached) cannot be replayed: event 27 has unknown type "volume.attached"');
  });
});
