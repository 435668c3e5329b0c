import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

const sqlite = (db: string, sql: string) => execFileSync("sqlite3", [db, sql], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("the CLI on a new database file", () => {
  it("records the README flow, prints it as JSON lines, replays to the join, and verifies until a byte is changed", async () => {
    const db = tempDb();
    const nl = (...args: string[]) => runCli(["--db", db, ...args]);

    const steps = [
      ["network", "create", "-d", "null", "n1"],
      ["endpoint", "create", "n1", "e1"],
      ["sandbox", "create", "c1", "--host-netns"],
      ["endpoint", "join", "n1", "e1", "c1"],
      ["endpoint", "leave", "n1", "e1", "c1"],
      ["endpoint", "rm", "n1", "e1"],
    ];
    for (const s of steps) {
      const r = await nl(...s);
      expect(r.stderr).toBe("");
      expect(r.code, s.join(" ")).toBe(0);
    }

    const log = await nl("log", "--json");
    expect(log.code).toBe(0);
    const events = log.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual([
      "network.created",
      "endpoint.created",
      "sandbox.created",
      "endpoint.joined",
      "endpoint.left",
      "endpoint.deleted",
    ]);
    events.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.meta).toMatchObject({ actor: expect.any(String), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(Object.keys(e).sort()).toEqual(["data", "hash", "meta", "seq", "stream", "type", "version"]);
    });

    const joinSeq = events.find((e) => e.type === "endpoint.joined").seq;
    const replay = await nl("replay", "--until", String(joinSeq), "--json");
    expect(replay.code).toBe(0);
    const state = JSON.parse(replay.stdout);
    expect(state.seq).toBe(joinSeq);
    const sandbox = state.sandboxes.find((s: { containerId: string }) => s.containerId === "c1");
    expect(state.endpoints).toEqual([expect.objectContaining({ name: "e1", sandbox: sandbox.id, state: "joined" })]);
    expect(sandbox.endpoints).toEqual([state.endpoints[0].id]);
    const human = await nl("replay", "--until", String(joinSeq));
    expect(human.stdout).toMatch(/^n1 +e1 +[0-9a-f]{12} +c1 +- +joined$/m);

    expect((await nl("verify")).code).toBe(0);

    // The triggers refuse an edit through SQL...
    expect(() => sqlite(db, "UPDATE events SET actor = 'mallory' WHERE seq = 2")).toThrow(/append-only/);
    // ...so a tamperer drops them first and changes one byte of one row.
    sqlite(
      db,
      "DROP TRIGGER events_append_only_update; UPDATE events SET data = replace(data, '\"name\":\"e1\"', '\"name\":\"e2\"') WHERE seq = 2;",
    );
    const bad = await nl("verify");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^netledger: verification failed at seq 2: event 2 \(endpoint.created\) does not match its hash/);
    expect(bad.stdout).toContain("seq 2:");
    const badJson = await nl("verify", "--json");
    expect(badJson.code).toBe(1);
    expect(JSON.parse(badJson.stdout)).toMatchObject({ ok: false, firstBad: 2, problems: [{ seq: 2, kind: "hash" }] });
  });

  it("lets exactly one of twenty processes racing to create the same network win", async () => {
    const db = tempDb();
    // Make the database first so that the race is about the name, not about creating the file.
    expect((await runCli(["--db", db, "network", "create", "-d", "null", "warmup"])).code).toBe(0);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => runCli(["--db", db, "network", "create", "-d", "null", "same"])),
    );
    const won = results.filter((r) => r.code === 0);
    const lost = results.filter((r) => r.code !== 0);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost) {
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("netledger: network with name same already exists\n");
    }
    const json = await runCli(["--db", db, "--json", "network", "create", "-d", "null", "same"]);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: "Conflict", message: "network with name same already exists" } });
    const log = await runCli(["--db", db, "log", "--json", "--type", "network.created"]);
    const names = log.stdout.trim().split("\n").map((l) => JSON.parse(l).data.name);
    expect(names).toEqual(["warmup", "same"]);
  });
});
