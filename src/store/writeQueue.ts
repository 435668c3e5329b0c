import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (fractions allowed): a write transaction is synchronous, and so is its wait. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** How often a waiter checks whether the process a ticket names is still alive. */
const livenessEveryMs = 50;

/**
 * The order in which writer processes take the write lock: a first-come, first-served queue of tickets
 * beside the database (`<db>-writers/`, one empty file per waiting writer, named by the system-wide
 * monotonic clock and the pid). SQLite's lock (BEGIN IMMEDIATE) stays the only thing that makes writes
 * exclusive; the queue only decides who tries it next, so that a process that has just committed
 * cannot take the lock again ahead of one that has been waiting, however the CPUs are scheduled.
 *
 * A writer queues only when it finds others queued or the lock taken, so an uncontended write costs
 * one directory read. Tickets of processes that are gone are removed by whoever waits behind them,
 * and the order is honoured for at most `patienceMs`: a queue that cannot be made (a read-only
 * directory) or a waiter that is never scheduled costs fairness, never progress.
 */
export class WriteQueue {
  private ticket: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly patienceMs: number,
  ) {}

  /** Whether another writer is queued now (the uncontended fast path is a single readdir). */
  othersQueued(): boolean {
    // existsSync first: a readdir of a missing directory throws, and building the error costs more than the look.
    if (!existsSync(this.dir)) return false;
    try {
      return readdirSync(this.dir).length > 0;
    } catch {
      return false;
    }
  }

  /** Takes a ticket and waits until every live ticket ahead of it has had its turn. */
  waitTurn(): void {
    if (this.ticket === undefined && !this.join()) return;
    const since = performance.now();
    let ahead: string | undefined;
    let aheadSince = since;
    let lastLiveness = since;
    for (;;) {
      const now = performance.now();
      if (now - since > this.patienceMs) return;
      if (ahead === undefined || !existsSync(join(this.dir, ahead))) {
        ahead = this.predecessor();
        if (ahead === undefined) return;
        aheadSince = lastLiveness = now;
      } else if (now - lastLiveness > livenessEveryMs) {
        lastLiveness = now;
        if (!alive(ahead)) rmSync(join(this.dir, ahead), { force: true });
      }
      // Poll the one ahead quickly while it is likely about to go, more calmly when it is slow.
      sleepSync(now - aheadSince < 20 ? 0.1 + Math.random() * 0.2 : 0.5 + Math.random());
    }
  }

  /** Gives up the ticket: called once the lock is held (or the write gave up). */
  leave(): void {
    if (this.ticket === undefined) return;
    rmSync(join(this.dir, this.ticket), { force: true });
    this.ticket = undefined;
  }

  private join(): boolean {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const name = `${process.hrtime.bigint().toString().padStart(20, "0")}-${process.pid}`;
      writeFileSync(join(this.dir, name), "", { flag: "wx" });
      this.ticket = name;
      return true;
    } catch {
      return false;
    }
  }

  /** The latest ticket older than ours, if any. */
  private predecessor(): string | undefined {
    let best: string | undefined;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return undefined;
    }
    for (const n of names) if (n < this.ticket! && (best === undefined || n > best)) best = n;
    return best;
  }
}

/** Whether the process a ticket names is alive (EPERM: alive, another user's). */
function alive(ticket: string): boolean {
  const pid = Number(ticket.slice(ticket.indexOf("-") + 1));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}
