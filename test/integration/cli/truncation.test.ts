import { execFileSync } from "node:child_process";
import { beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";

/** Tampers with the database the way an operator (or an attacker) would: the sqlite3 shell. */
function sqlite(db: string, sql: string): void {
  execFileSync("sqlite3", [db, sql]);
}

let db: string;
let head: string;

beforeEach(async () => {
  db = tempDb();
  writeFixtureLog(db); // 26 events
  const r = await runCli(["--db", db, "head"]);
  expect(r.code).toBe(0);
  head = r.stdout.trim();
  expect(head).toMatch(/^26:[0-9a-f]{64}$/);
});

describe("verify --expect-head on a log whose last events were deleted", () => {
  it("fails and names the missing seqs when the head was kept as SEQ:HASH", async () => {
    sqlite(db, "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq > 23;");

    const r = await runCli(["--db", db, "verify", "--expect-head", head]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`seq 24: the log ends at seq 23, but head ${head.slice(0, 15)} was taken when it reached seq 26: events 24–26 are missing`);
    expect(r.stderr).toMatch(/^netledger: verification failed at seq 24: /);
  });

  it("fails with only the hash, saying the log was cut short or rewritten after that head", async () => {
    sqlite(db, "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq > 23;");
    const hash = head.split(":")[1]!;

    const r = await runCli(["--db", db, "--json", "verify", "--expect-head", hash]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; head: { seq: number }; problems: { seq: number; kind: string; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.head.seq).toBe(23);
    expect(report.problems).toContainEqual({
      seq: 24,
      kind: "head",
      message: expect.stringContaining(`head ${hash.slice(0, 12)} is not in the chain, which ends at seq 23: the log was cut short or rewritten`),
    });
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: "Corrupt" } });
  });

  it("finds the removal without a head too, when a request pointed past the new end", async () => {
    // The last command had a request id; its first event (25) is gone.
    sqlite(db, "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq > 24;");

    const r = await runCli(["--db", db, "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("seq 25: a request recorded seq 25, but the log ends at seq 24: events 25 at least were removed");
  });

  it("refuses to write onto a log cut short, naming the first missing seq and saying to run verify", async () => {
    sqlite(db, "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq > 23;");

    const r = await runCli(["--db", db, "--json", "network", "create", "-d", "null", "again-1"]);
    expect(r.code).not.toBe(0);
    const err = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    expect(err.error.code).toBe("Corrupt");
    expect(err.error.message).toMatch(/^the log is broken at seq 24: .*; run "netledger verify"/);
  });

  it("names the rewritten seq when a row was changed at the head's seq", async () => {
    // The row at the head's seq rewritten with a hash of its own: not the event the head was taken at.
    sqlite(db, `DROP TRIGGER events_append_only_update; UPDATE events SET hash = '${"ab".repeat(32)}' WHERE seq = 26;`);

    const r = await runCli(["--db", db, "verify", "--expect-head", head]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/seq 26: event 26 has hash abababababab, not [0-9a-f]{12} as when head 26:[0-9a-f]{12} was taken: the log was rewritten at or before seq 26/);
  });

  it("passes a log that grew past the head", async () => {
    await runCli(["--db", db, "network", "create", "-d", "null", "later"]);
    const r = await runCli(["--db", db, "verify", "--expect-head", head]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // Opening to write also takes over the fixture's in-doubt effect (effect.attempted): more than one event.
    expect(r.stdout).toMatch(/^ok: (\d+) events, 0 snapshots, head \1:[0-9a-f]{64}, expected head found\n$/);
    expect(Number(/^ok: (\d+)/.exec(r.stdout)![1])).toBeGreaterThan(26);
  });
});
