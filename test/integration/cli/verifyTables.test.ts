import { openSync, closeSync, statSync, writeSync } from "node:fs";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { seededRandom } from "../../helpers/seeded.js";
import { writeFixtureLog } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";

/** What `verify` finds that the chain does not cover: a damaged file, and an edited requests table. */
let db: string;
beforeEach(() => {
  db = tempDb();
  writeFixtureLog(db);
});

describe("verify beyond the chain", () => {
  it("names a page of random bytes, found by SQLite's integrity check", async () => {
    const pageSize = 4096;
    expect(statSync(db).size).toBeGreaterThanOrEqual(5 * pageSize);
    const garbage = Buffer.alloc(pageSize);
    const rand = seededRandom(4);
    for (let i = 0; i < pageSize; i++) garbage[i] = Math.floor(rand() * 256);
    const fd = openSync(db, "r+");
    writeSync(fd, garbage, 0, pageSize, 3 * pageSize); // page 4
    closeSync(fd);

    const r = await cli(["--db", db, "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/the database file is damaged: /);
    expect(r.stderr).toMatch(/^netledger: verification failed at seq \d+: /);
  });

  it("names a request whose entity was edited to another's", async () => {
    const raw = new Database(db);
    const rows = raw.prepare("SELECT request_id, seq FROM requests ORDER BY seq").all() as { request_id: string; seq: number }[];
    const other = raw.prepare("SELECT stream FROM events WHERE type = 'network.created' ORDER BY seq LIMIT 1").get() as { stream: string };
    const victim = rows.at(-1)!;
    raw.prepare("UPDATE requests SET entity_kind = 'network', entity_id = ? WHERE request_id = ?").run(other.stream, victim.request_id);
    raw.close();

    const r = await cli(["--db", db, "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `seq ${victim.seq}: request "${victim.request_id}" answers with network ${other.stream.slice(0, 12)}, which the events of its command (from seq ${victim.seq}) do not name: the requests table was changed`,
    );
  });

  it("names a request pointed at another command's event", async () => {
    const raw = new Database(db);
    const victim = raw.prepare("SELECT request_id, seq FROM requests ORDER BY seq LIMIT 1").get() as { request_id: string; seq: number };
    raw.prepare("UPDATE requests SET seq = 1 WHERE request_id = ?").run(victim.request_id);
    raw.close();
    const r = await cli(["--db", db, "--json", "verify"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems).toContainEqual({
      seq: 1,
      kind: "request",
      message: `request "${victim.request_id}" points at seq 1, an event not recorded under that request id: the requests table was changed`,
    });
  });
});
