import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { loadState } from "../../../src/controller/loadState.js";
import { reducerVersion } from "../../../src/domain/state.js";
import { serialiseState, Store } from "../../../src/store/store.js";
import { cli } from "../../helpers/cli.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";
import { until } from "../../helpers/wait.js";

/** Endpoint cycles on a null network: four events each, the log grows and the state does not. */
async function cycles(c: Controller, n: number, tag: string): Promise<void> {
  const net = c.networkByName("n1") ?? (await c.newNetwork("null", "n1"));
  for (let i = 0; i < n; i++) {
    const e = await net.createEndpoint(`${tag}${i}`);
    await e.delete();
  }
}

describe("snapshots as the log grows", () => {
  it("are written by a process that keeps its log open, one per stretch of the log", async () => {
    const db = tempDb();
    const c = await Controller.open({ db, runDir: tempDir(), snapshotEvery: 40 });
    try {
      // Three stretches, each left to settle: a snapshot waits (a bounded while) for the bus to idle,
      // so a fast loop may cross a stretch before the one it began is written.
      for (const round of [1, 2, 3]) {
        await cycles(c, 25, `e${round}-`);
        await until(() => c.store.snapshots().length >= round);
      }
      const seqs = c.store.snapshots().map((s) => s.seq);
      // One snapshot per stretch of the log, each within a stretch (plus a commit's events) of the last.
      for (const [i, seq] of seqs.entries()) expect(seq - (i === 0 ? 0 : seqs[i - 1]!)).toBeGreaterThanOrEqual(40);
      expect(c.current().seq - seqs.at(-1)!).toBeLessThan(40 + 4);
      // Each is the state a full replay gives at its seq (invariant 2).
      const r = Store.open(db, { readonly: true });
      try {
        for (const seq of seqs) {
          const full = loadState(r, { until: seq, useSnapshots: false });
          const snap = r.latestSnapshotState(reducerVersion, seq)!;
          expect(serialiseState(snap.state).hash).toBe(serialiseState(full.state).hash);
        }
      } finally {
        r.close();
      }
      expect(c.verify().ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("are not written twice for one stretch when another process already wrote one", async () => {
    const db = tempDb();
    const runDir = tempDir();
    const a = await Controller.open({ db, runDir, snapshotEvery: 100 });
    const b = await Controller.open({ db, runDir, snapshotEvery: 100 });
    try {
      await cycles(a, 60, "a");
      const bNet = b.networkByName("n1")!;
      const e = await bNet.createEndpoint("b0");
      await e.delete();
      await until(() => a.store.snapshots().length >= 1);
      // b's commit also took the log past the stretch; it finds a's snapshot and writes none.
      await new Promise((r) => setTimeout(r, 300));
      expect(a.store.snapshots()).toHaveLength(1);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("are not written by a read-only open, which reports the long replay instead", async () => {
    const db = tempDb();
    const runDir = tempDir();
    const w = await Controller.open({ db, runDir });
    await cycles(w, 30, "e");
    const head = w.headOf().seq;
    await w.close();
    const told: number[] = [];
    const r = await Controller.open({ db, runDir, readonly: true, snapshotEvery: 50, onLongReplay: (n) => told.push(n) });
    await r.close();
    expect(told).toEqual([head]);
    const quiet: number[] = [];
    const r2 = await Controller.open({ db, runDir, readonly: true, snapshotEvery: 500, onLongReplay: (n) => quiet.push(n) });
    await r2.close();
    expect(quiet).toEqual([]);
  });

  it("are missed by a read command on a long log, which says so and suggests netledger snapshot", async () => {
    const db = tempDb();
    const runDir = tempDir();
    const w = await Controller.open({ db, runDir });
    await cycles(w, 30, "e");
    const head = w.headOf().seq;
    await w.close();
    const slow = await cli(["--db", db, "network", "ls", "--json"], {}, { runDir, snapshotEvery: 50 });
    expect(slow.code).toBe(0);
    expect(JSON.parse(slow.stdout)).toHaveLength(1);
    expect(slow.stderr).toContain(`the log has no recent snapshot, so this read replayed ${head} events`);
    expect(slow.stderr).toContain('run "netledger snapshot"');

    expect((await cli(["--db", db, "snapshot"], {}, { runDir, snapshotEvery: 50 })).code).toBe(0);
    const quick = await cli(["--db", db, "network", "ls", "--json"], {}, { runDir, snapshotEvery: 50 });
    expect(quick.code).toBe(0);
    expect(quick.stderr).toBe("");
  });
});
