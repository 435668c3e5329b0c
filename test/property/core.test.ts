import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadState } from "../../src/controller/loadState.js";
import * as C from "../../src/domain/collection.js";
import { canonicalJson } from "../../src/domain/canonical.js";
import type { CommandInput } from "../../src/domain/commands.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import type { State } from "../../src/domain/state.js";
import type { NetworkDriver } from "../../src/drivers/contract.js";
import { Controller } from "../../src/index.js";
import { Store } from "../../src/store/store.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

/**
 * Model runs over random command sequences, valid and invalid, against a real database: the invariants of docs/architecture.md
 * invariants 1 (replay determinism), 2 (snapshot equivalence), 3 (append-only, gap-free, tamper
 * named at its seq), 4 (request-id dedupe), 7 (referential integrity) and 9 (lifecycles).
 */

const networks = ["n0", "n1", "n2"];
const endpoints = ["e0", "e1", "e2", "e3"];
const containers = ["c0", "c1", "c2"];

/**
 * An in-process driver with side effects, so that effect intents, outcomes, continuations and
 * compensations are in the sequences too. It refuses endpoint e3 and joins to sandbox c2.
 */
function effectfulDriver(): NetworkDriver {
  return {
    async createNetwork() {},
    async deleteNetwork() {},
    async createEndpoint(req) {
      if (req.endpointId === idOf("e3")) throw new Error("this driver refuses e3");
      return {};
    },
    async deleteEndpoint() {},
    async endpointOperInfo() {
      return {};
    },
    async join(req) {
      if (req.sandboxId === idOf("c2")) throw new Error("this driver refuses sandbox c2");
      return {};
    },
    async leave() {},
  };
}

/** Entities get ids from their names (through request ids the test controls), so the model can name them. */
const ids = new Map<string, string>();
function idOf(name: string): string {
  return ids.get(name) ?? "0".repeat(64);
}

type Action =
  | { kind: "command"; cmd: CommandInput; requestId?: string }
  | { kind: "repeat" }
  | { kind: "snapshot" };

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

/** Weighted towards commands that succeed, with invalid ones mixed in (bad names, unknown drivers, wrong states). */
const commandArb: fc.Arbitrary<CommandInput> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant("network.create" as const), name: fc.oneof({ weight: 9, arbitrary: pick(networks) }, { weight: 1, arbitrary: fc.constant("bad name") }), driver: fc.oneof({ weight: 4, arbitrary: pick(["null", "fx"]) }, { weight: 1, arbitrary: pick(["host", "nosuch"]) }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("network.delete" as const), network: pick([...networks, "zz"]), force: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("endpoint.create" as const), network: pick(networks), name: pick(endpoints) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("endpoint.delete" as const), network: pick(networks), endpoint: pick(endpoints), force: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("endpoint.join" as const), network: pick(networks), endpoint: pick(endpoints), sandbox: pick(containers) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("endpoint.leave" as const), network: pick(networks), endpoint: pick(endpoints), sandbox: pick(containers) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("network.connect" as const), network: pick(networks), sandbox: pick(containers) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("network.disconnect" as const), network: pick(networks), sandbox: pick(containers), force: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("sandbox.create" as const), containerId: pick(containers), netns: fc.constant(null) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("sandbox.delete" as const), sandbox: pick(containers), force: fc.boolean() }) },
) as fc.Arbitrary<CommandInput>;

/** Every sequence starts with a few entities, so that most of what follows acts on something real. */
const setup: Action[] = [
  { kind: "command", cmd: { type: "network.create", name: "n0", driver: "null" } },
  { kind: "command", cmd: { type: "network.create", name: "n1", driver: "fx" } },
  { kind: "command", cmd: { type: "sandbox.create", containerId: "c0", netns: null } },
  { kind: "command", cmd: { type: "sandbox.create", containerId: "c2", netns: null } },
];

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant("command" as const), cmd: commandArb, requestId: fc.option(fc.uuid(), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "repeat" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "snapshot" as const }) },
);

function replayed(store: Store, useSnapshots: boolean, until?: number): State {
  return loadState(store, { useSnapshots, ...(until !== undefined ? { until } : {}) }).state;
}

function checkReferentialIntegrity(s: State): void {
  for (const ep of C.values(s.endpoints)) {
    const n = C.get(s.networks, ep.network);
    expect(n, `endpoint ${ep.name} has its network`).toBeDefined();
    expect(C.has(n!.endpoints, ep.id)).toBe(true);
    expect(C.get(s.endpointNames, `${ep.network}/${ep.name}`)).toBe(ep.id);
    if (ep.sandbox !== null) {
      const sb = C.get(s.sandboxes, ep.sandbox);
      expect(sb, `joined endpoint ${ep.name} has its sandbox`).toBeDefined();
      expect(sb!.endpoints).toContain(ep.id);
    }
  }
  for (const n of C.values(s.networks)) {
    expect(C.get(s.networkNames, n.name)).toBe(n.id);
    for (const id of C.keys(n.endpoints)) expect(C.get(s.endpoints, id)?.network).toBe(n.id);
  }
  for (const sb of C.values(s.sandboxes)) {
    expect(C.get(s.sandboxContainers, sb.containerId)).toBe(sb.id);
    for (const id of sb.endpoints) expect(C.get(s.endpoints, id)?.sandbox).toBe(sb.id);
  }
  for (const fx of C.values(s.effects)) expect(C.get(s.effectsByResource, fx.resource)).toBe(fx.id);
  expect(s.effectsByResource.size).toBe(s.effects.size);
}

async function runSequence(actions: Action[]): Promise<{ db: string; snapshots: number[] }> {
  const db = tempDb();
  const c = await Controller.open({ db, runDir: tempDir(), actor: "prop" });
  c.registerDriver("fx", effectfulDriver(), { dataScope: "local", sideEffects: true, usesIpam: false });
  const snapshots: number[] = [];
  let last: { cmd: CommandInput; requestId: string; result: string | undefined } | undefined;
  try {
    for (const a of actions) {
      const before = c.headOf().seq;
      if (a.kind === "snapshot") {
        snapshots.push(c.snapshot().seq);
        continue;
      }
      if (a.kind === "repeat") {
        if (!last) continue;
        // Invariant 4: a repeated request id appends nothing and returns the first result.
        let again: string | undefined;
        try {
          again = (await c.run(last.cmd, { requestId: last.requestId })).entity?.id;
        } catch (e) {
          if (!isNetledgerError(e)) throw e;
          again = `error:${e.code}`;
        }
        expect(c.headOf().seq).toBe(before);
        if (last.result !== undefined && !last.result.startsWith("error:")) expect(again).toBe(last.result);
        continue;
      }
      const requestId = a.requestId ?? `r${before}-${Math.random()}`;
      let result: string | undefined;
      try {
        const r = await c.run(a.cmd, { requestId });
        result = r.entity?.id;
        if (a.cmd.type === "network.create") ids.set(a.cmd.name, r.entity!.id);
        if (a.cmd.type === "endpoint.create") ids.set(a.cmd.name, r.entity!.id);
        if (a.cmd.type === "sandbox.create") ids.set(a.cmd.containerId, r.entity!.id);
      } catch (e) {
        if (!isNetledgerError(e)) throw e;
        result = `error:${e.code}`;
        // A refusal by decide writes nothing; a driver failure records its outcome and compensation.
        if (e.code !== "DriverError") expect(c.headOf().seq).toBe(before);
      }
      if (!(result ?? "").startsWith("error:") || c.headOf().seq > before) last = { cmd: a.cmd, requestId, result };

      // Invariant 1: the live state equals a fold of the log, and folding twice gives the same hash.
      const live = canonicalJson(c.current());
      const store = Store.open(db, { readonly: true });
      try {
        expect(canonicalJson(replayed(store, false))).toBe(live);
        expect(canonicalJson(replayed(store, true))).toBe(live);
      } finally {
        store.close();
      }
      // Invariant 7.
      checkReferentialIntegrity(c.current());
    }
  } finally {
    await c.close();
  }
  return { db, snapshots };
}

describe("core invariants under random command sequences", () => {
  it("holds replay determinism, snapshot equivalence, request-id dedupe, referential integrity and lifecycles", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 60 }), async (actions) => {
        ids.clear();
        const { db, snapshots } = await runSequence([...setup, ...actions]);
        const store = Store.open(db, { readonly: true });
        try {
          // Invariant 2: snapshot + tail == full replay, at every snapshot point and at the end.
          const full = canonicalJson(replayed(store, false));
          expect(canonicalJson(replayed(store, true))).toBe(full);
          for (const k of snapshots) expect(canonicalJson(replayed(store, true, k))).toBe(canonicalJson(replayed(store, false, k)));

          // Invariant 3: gap-free seq from 1, the chain verifies.
          const seqs = (store.db.prepare("SELECT seq FROM events ORDER BY seq").all() as { seq: number }[]).map((r) => r.seq);
          expect(seqs).toEqual(seqs.map((_, i) => i + 1));
          const c = await Controller.open({ db, readonly: true });
          try {
            expect(c.verify().problems).toEqual([]);
          } finally {
            await c.close();
          }

          // Invariant 9: a stream whose entity reached a final state has no lifecycle event after it.
          const rows = store.db.prepare("SELECT seq, stream, type, data FROM events ORDER BY seq").all() as {
            seq: number;
            stream: string;
            type: string;
            data: string;
          }[];
          const ended = new Map<string, number>();
          for (const r of rows) {
            if (ended.has(r.stream) && !r.type.startsWith("effect."))
              expect.fail(`event ${r.seq} (${r.type}) on ${r.stream} after its entity ended at ${ended.get(r.stream)}`);
            const d = JSON.parse(r.data);
            if ((r.type.endsWith(".deleted") && (d.pending === false || d.force)) ) ended.set(r.stream, r.seq);
          }
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("names a changed, dropped or swapped row at its seq", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: 8, maxLength: 25 }),
        fc.constantFrom("flip", "drop", "swap"),
        fc.nat(),
        async (actions, tamper, where) => {
          ids.clear();
          const { db } = await runSequence([...setup, ...actions]);
          const n = (() => {
            const s = Store.open(db, { readonly: true });
            try {
              return s.log.head().seq;
            } finally {
              s.close();
            }
          })();
          fc.pre(n >= 3);
          const k = 1 + (where % (n - 1)); // 1 ≤ k < n, so k+1 exists for a swap
          const sql: Record<string, string> = {
            // Flip one byte of the data text (a digit or letter of a hex id becomes another).
            flip: `UPDATE events SET data = substr(data, 1, 9) || char((unicode(substr(data, 10, 1)) | 1) - (unicode(substr(data, 10, 1)) & 1)) || substr(data, 11) WHERE seq = ${k}`,
            drop: `DELETE FROM events WHERE seq = ${k}`,
            swap: `UPDATE events SET data = (SELECT data FROM events WHERE seq = ${k + 1}), type = (SELECT type FROM events WHERE seq = ${k + 1}) WHERE seq = ${k}`,
          };
          execFileSync("sqlite3", [db, `DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete; ${sql[tamper]};`], {
            stdio: ["ignore", "pipe", "pipe"],
          });
          const c = await Controller.open({ db, readonly: true });
          try {
            const r = c.verify();
            expect(r.ok).toBe(false);
            expect(r.firstBad).toBe(k);
          } finally {
            await c.close();
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
