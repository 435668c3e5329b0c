import { statSync, truncateSync } from "node:fs";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";

/**
 * An attacker (or a disk) with write access to the file: each tamper is refused at open, with the first
 * bad seq and the advice to run verify, while the read-side tools go on with a warning on stderr.
 */
function tamper(db: string, sql: string): void {
  const raw = new Database(db);
  try {
    raw.exec("DROP TRIGGER IF EXISTS events_append_only_update; DROP TRIGGER IF EXISTS events_append_only_delete;");
    raw.exec(sql);
  } finally {
    raw.close();
  }
}

let db: string;
beforeEach(() => {
  db = tempDb();
  writeFixtureLog(db); // 26 events
});

async function refusedWrite(): Promise<{ code: string; message: string }> {
  const r = await cli(["--db", db, "--json", "network", "create", "-d", "null", "after-tamper"]);
  expect(r.code).not.toBe(0);
  return (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
}

describe("a log tampered with is refused for writing", () => {
  it("names an edited event row in the tail at its seq", async () => {
    tamper(db, "UPDATE events SET actor = 'mallory' WHERE seq = 10");
    const err = await refusedWrite();
    expect(err.code).toBe("Corrupt");
    expect(err.message).toMatch(/^the log is broken at seq 10: event 10 \(.*\) does not match its hash.*; run "netledger verify"/);

    const ls = await cli(["--db", db, "network", "ls"]);
    expect(ls.code).toBe(0);
    expect(ls.stderr).toMatch(/^netledger: warning: the log is broken at seq 10: /);
    const log = await cli(["--db", db, "log", "--since", "10", "--until", "10"]);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain("mallory");
    expect(log.stderr).toContain("warning: the log is broken at seq 10");
  });

  it("names a deleted middle row", async () => {
    tamper(db, "DELETE FROM events WHERE seq = 12");
    const err = await refusedWrite();
    expect(err).toMatchObject({ code: "Corrupt" });
    expect(err.message).toMatch(/seq 12: .*run "netledger verify"/);
  });

  it("names an edited snapshot, and reads go on from a full replay", async () => {
    // Made here, not through a daemon (npm test's second pass): the check is made when a process opens
    // the log, and a daemon opened before the edit would not be the one to open it after.
    const here = { NETLEDGER_HOST: "" };
    expect((await cli(["--db", db, "snapshot"], here)).code).toBe(0);
    const before = await cli(["--db", db, "--json", "network", "ls"], here);
    tamper(db, "UPDATE snapshots SET state = replace(state, '\"boot\":', '\"boot\" :')");
    const err = await refusedWrite();
    expect(err.code).toBe("Corrupt");
    expect(err.message).toMatch(/snapshot at seq \d+ does not match its own state hash/);

    const after = await cli(["--db", db, "--json", "network", "ls"]);
    expect(after.code).toBe(0);
    expect(after.stderr).toMatch(/warning: snapshot at seq \d+ does not match its own state hash/);
    expect(after.stdout).toBe(before.stdout);
  });

  it("names an edited database id in meta: it is bound into the chain at event 1", async () => {
    tamper(db, "UPDATE meta SET value = 'ffffffffffffffffffffffffffffffff' WHERE key = 'database_id'");
    const err = await refusedWrite();
    expect(err.code).toBe("Corrupt");
    expect(err.message).toContain("event 1 (driver.configured) does not chain from this database's id (ffffffffffffffffffffffffffffffff in meta)");
    const v = await cli(["--db", db, "verify"]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("seq 1: event 1 (driver.configured) does not chain from this database's id");
  });

  it("opens a log whose tail is whole, with no warning", async () => {
    const ls = await cli(["--db", db, "network", "ls"]);
    expect(ls).toMatchObject({ code: 0, stderr: "" });
    expect((await cli(["--db", db, "network", "create", "-d", "null", "fine"])).code).toBe(0);
  });
});

describe("a database truncated to 0 bytes", () => {
  it("is refused, not made again as a new empty log", async () => {
    truncateSync(db, 0);
    const r = await cli(["--db", db, "network", "create", "-d", "null", "n"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is empty (0 bytes): truncated, or never a netledger database");
    expect(statSync(db).size).toBe(0);
  });
});
