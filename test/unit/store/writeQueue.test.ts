import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../../../src/store/store.js";
import { WriteQueue } from "../../../src/store/writeQueue.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/** A ticket as a writer takes one: the monotonic clock, then the pid. */
const ticketOf = (pid: number, clock = 1n) => `${clock.toString().padStart(20, "0")}-${pid}`;

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** A process of ours that lives until the test ends (or runs `script` and exits). */
function sh(script: string): number {
  const child = spawn("sh", ["-c", script], { stdio: "ignore" });
  started.push(child.pid!);
  return child.pid!;
}

const hasSqlite3 = spawnSync("sqlite3", ["-version"]).status === 0;

describe("the write queue", () => {
  it("lets a writer try the lock only once the writer queued ahead of it has had its turn", () => {
    const dir = tempDir();
    // The writer ahead, in another process: its ticket names it, and it leaves the queue a moment later.
    const pid = sh(`sleep 0.3; rm -f '${dir}'/*-$$`);
    const ahead = join(dir, ticketOf(pid));
    writeFileSync(ahead, "");
    const q = new WriteQueue(dir, 60_000);
    q.waitTurn();
    expect(existsSync(ahead)).toBe(false);
    q.leave();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("goes ahead of a ticket whose process is gone, and removes it", () => {
    const dir = tempDir();
    const dead = spawnSync("true").pid!;
    const stale = ticketOf(dead);
    writeFileSync(join(dir, stale), "");
    const q = new WriteQueue(dir, 60_000);
    q.waitTurn();
    expect(readdirSync(dir)).toHaveLength(1);
    expect(readdirSync(dir)).not.toContain(stale);
    q.leave();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps to the order only for its patience when the writer ahead never takes its turn", () => {
    const dir = tempDir();
    const pid = sh("sleep 60");
    const stuck = ticketOf(pid);
    writeFileSync(join(dir, stuck), "");
    const q = new WriteQueue(dir, 100);
    q.waitTurn();
    q.leave();
    // The live writer's ticket stays: it is slow, not gone.
    expect(readdirSync(dir)).toEqual([stuck]);
  });

  it("costs an uncontended write nothing but a look: no ticket is taken or left", () => {
    const db = tempDb();
    const s = Store.open(db);
    try {
      s.write(() => s.getMeta("database_id"));
      expect(existsSync(`${db}-writers`)).toBe(false);
    } finally {
      s.close();
    }
  });

  it.skipIf(!hasSqlite3)("has a writer that found the lock taken wait its turn and leave the queue once it holds the lock (needs the sqlite3 program)", async () => {
    const db = tempDb();
    const s = Store.open(db);
    try {
      // Another process holds the write lock for a moment.
      const holder = spawn("sqlite3", [db], { stdio: ["pipe", "pipe", "ignore"] });
      started.push(holder.pid!);
      const locked = new Promise<void>((resolve) => holder.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve()));
      holder.stdin.end("BEGIN IMMEDIATE;\n.shell echo locked && sleep 0.3\nCOMMIT;\n");
      await locked;
      let queued: string[] = [];
      s.write(() => {
        queued = readdirSync(`${db}-writers`);
      });
      // It held a ticket while it waited, and gave it up once inside the transaction.
      expect(queued).toEqual([]);
      expect(readdirSync(`${db}-writers`)).toEqual([]);
    } finally {
      s.close();
    }
  });
});
