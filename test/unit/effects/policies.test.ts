import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type EntityOp as EffectOp, entityOps as effectOps, inDoubtPolicies, undoOf } from "../../../src/domain/effects/table.js";
import type { Attempt } from "../../../src/domain/events.js";
import type { EffectRecord } from "../../../src/domain/state.js";
import type { EffectCall } from "../../../src/drivers/contract.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { Dispatcher, type Outcome } from "../../../src/effects/dispatcher.js";
import { externalDriverName as ext, ExternalSystem } from "../../helpers/externalDriver.js";
import { tempDir } from "../../helpers/tmp.js";

/**
 * One test per row of the in-doubt policy table: an effect whose process died either before or after
 * making its call is taken over, and against a driver that promises no idempotency (the external test
 * driver refuses a second create) the policy ends with the call's effect made exactly once.
 */

const nid = "a".repeat(64);
const eid = "b".repeat(64);
const sid = "c".repeat(64);
const key = `/run/netledger-test/netns/${sid}`;
const dead: Attempt = { pid: 999_999, start: "1", boot: "gone" };
const setupCall: EffectCall = { effectId: 0, attempt: 1, databaseId: "test" };

const networkReq = { networkId: nid, name: "n1", options: {}, labels: {}, ipv6: false, internal: false, ipam: { driver: "null", config: [] } };
const endpointReq = { networkId: nid, endpointId: eid, interface: { address: null, addressIPv6: null, mac: null }, options: { ports: [], aliases: [] } };
const joinReq = { networkId: nid, endpointId: eid, sandboxId: sid, sandboxKey: key, options: {} };

interface Row {
  driver: string;
  args: Record<string, unknown>;
  /** The world before the dead attempt's call. */
  before(s: ExternalSystem): Promise<void>;
  /** The dead attempt's call, when it was made before the crash. */
  made(s: ExternalSystem): Promise<unknown>;
  /** Whether the system shows the call's effect. */
  done(s: ExternalSystem): boolean;
  /** The external driver makes this call idempotently (namespaces), as the policy assumes. */
  idempotent?: true;
}

const net = (s: ExternalSystem) => s.networkDriver();
const sbx = (s: ExternalSystem) => s.sandboxDriver();

const rows: Record<EffectOp, Row> = {
  createNetwork: {
    driver: ext,
    args: networkReq,
    before: async () => {},
    made: (s) => net(s).createNetwork(networkReq, setupCall),
    done: (s) => s.get("network", nid) !== undefined,
  },
  deleteNetwork: {
    driver: ext,
    args: { networkId: nid },
    before: (s) => net(s).createNetwork(networkReq, setupCall),
    made: (s) => net(s).deleteNetwork({ networkId: nid }, setupCall),
    done: (s) => s.get("network", nid) === undefined,
  },
  createEndpoint: {
    driver: ext,
    args: endpointReq,
    before: (s) => net(s).createNetwork(networkReq, setupCall),
    made: (s) => net(s).createEndpoint(endpointReq, setupCall),
    done: (s) => s.get("endpoint", eid) !== undefined,
  },
  deleteEndpoint: {
    driver: ext,
    args: { networkId: nid, endpointId: eid },
    before: async (s) => {
      await net(s).createNetwork(networkReq, setupCall);
      await net(s).createEndpoint(endpointReq, setupCall);
    },
    made: (s) => net(s).deleteEndpoint({ networkId: nid, endpointId: eid }, setupCall),
    done: (s) => s.get("endpoint", eid) === undefined,
  },
  join: {
    driver: ext,
    args: joinReq,
    before: async (s) => {
      await net(s).createNetwork(networkReq, setupCall);
      await net(s).createEndpoint(endpointReq, setupCall);
      await sbx(s).createSandbox({ sandboxId: sid, key, create: true }, setupCall);
    },
    made: (s) => net(s).join(joinReq, setupCall),
    done: (s) => s.get("join", eid) !== undefined,
  },
  leave: {
    driver: ext,
    args: { ...joinReq, joinInfo: null },
    before: async (s) => {
      await rows.join.before(s);
      await net(s).join(joinReq, setupCall);
    },
    made: (s) => net(s).leave({ ...joinReq, joinInfo: null }, setupCall),
    done: (s) => s.get("join", eid) === undefined,
  },
  createSandbox: {
    driver: "netns",
    args: { sandboxId: sid, key, create: true },
    before: async () => {},
    made: (s) => sbx(s).createSandbox({ sandboxId: sid, key, create: true }, setupCall),
    done: (s) => s.get("sandbox", sid) !== undefined,
    idempotent: true,
  },
  deleteSandbox: {
    driver: "netns",
    args: { sandboxId: sid, key },
    before: (s) => sbx(s).createSandbox({ sandboxId: sid, key, create: true }, setupCall),
    made: (s) => sbx(s).deleteSandbox({ sandboxId: sid, key }, setupCall),
    done: (s) => s.get("sandbox", sid) === undefined,
    idempotent: true,
  },
};

const systems: ExternalSystem[] = [];
afterEach(() => {
  while (systems.length) systems.pop()!.close();
});

/** Takes over an effect of `op` whose process died, and returns the calls the driver received for it and the outcome. */
async function takeOver(op: EffectOp, madeBeforeCrash: boolean) {
  const row = rows[op];
  const system = new ExternalSystem(join(tempDir(), "external.db"));
  systems.push(system);
  await row.before(system);
  if (madeBeforeCrash) await row.made(system);
  const seen = system.calls().length;

  const registry = new DriverRegistry();
  registry.register(ext, system.networkDriver(), { dataScope: "local", sideEffects: true, usesIpam: false });
  registry.registerSandboxDriver(system.sandboxDriver());
  const outcomes: [number, number, Outcome][] = [];
  const dispatcher = new Dispatcher({ registry, databaseId: "test", report: (id, attempt, o) => outcomes.push([id, attempt, o]) });
  const fx = {
    id: 7,
    driver: row.driver,
    op,
    resource: eid,
    args: row.args,
    root: "r",
    inverse: false,
    failure: null,
    attempts: [dead, { pid: process.pid, start: "now", boot: "this" }],
    requestedAt: "",
  } as EffectRecord;
  dispatcher.start(fx, true);
  await dispatcher.drain();
  return { system, calls: system.calls().slice(seen).map((c) => `${c.op}:${c.answer}`), outcomes };
}

describe("the in-doubt policy table", () => {
  it("has one row per driver operation, and an undo wherever it says to send one first", () => {
    expect(Object.keys(inDoubtPolicies).sort()).toEqual(Object.keys(effectOps).sort());
    for (const [op, p] of Object.entries(inDoubtPolicies)) if (p.undoFirst) expect(undoOf(op as EffectOp), op).not.toBeNull();
  });

  it.each(Object.entries(inDoubtPolicies).map(([op, p]) => [op, p.why] as const))(
    "%s in doubt: %s — ends with the call made exactly once, whether or not the dead process had made it",
    async (op) => {
      const policy = inDoubtPolicies[op as EffectOp];
      const undo = undoOf(op as EffectOp);
      for (const made of [false, true]) {
        const { system, calls, outcomes } = await takeOver(op as EffectOp, made);
        // One outcome, success, answering for the takeover's attempt (2).
        expect(outcomes.map(([id, attempt, o]) => [id, attempt, o.ok]), `made before the crash: ${made}`).toEqual([[7, 2, true]]);
        expect(rows[op as EffectOp].done(system), `made before the crash: ${made}`).toBe(true);
        const expected: string[] = [];
        if (policy.undoFirst) expected.push(`${undo}:${made ? "ok" : "NotFound"}`);
        // The call itself: after an undo, or to an idempotent driver, it succeeds; a repeated delete finds nothing.
        const repeated = made && !policy.undoFirst && !rows[op as EffectOp].idempotent;
        expected.push(`${op}:${repeated ? "NotFound" : "ok"}`);
        expect(calls, `made before the crash: ${made}`).toEqual(expected);
      }
    },
  );
});
