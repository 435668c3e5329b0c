import { describe, expect, it } from "vitest";
import type { Command } from "../../../src/domain/commands.js";
import { decide, type DecideContext } from "../../../src/domain/decide/index.js";
import type { NewEvent, StoredEvent } from "../../../src/domain/events.js";
import { evolve } from "../../../src/domain/evolve.js";
import * as C from "../../../src/domain/collection.js";
import type { EffectRecord, State } from "../../../src/domain/state.js";
import type { NetworkDriver } from "../../../src/drivers/contract.js";
import type { IpamDriver } from "../../../src/drivers/ipamContract.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { Dispatcher, type Outcome } from "../../../src/effects/dispatcher.js";
import { endpoint, hex, network, sandbox, stateOf } from "../../helpers/state.js";
import { nullDriver } from "../../../src/drivers/null/index.js";

/**
 * A driver's answer is checked once, where the driver answers (the executor, against its operation's
 * result schema): an answer that fails it is one classified failure, recorded as one effect.failed,
 * and decide records that error as it is, without checking the answer a second time.
 */

const me = { pid: process.pid, start: "s", boot: "b" };
const ctx: DecideContext = {
  root: "cmd",
  attempt: me,
  drivers: { ext: { name: "ext", scope: "local", connectivityScope: "local", sideEffects: true, usesIpam: false } },
  ipamDrivers: { tipam: { name: "tipam", sideEffects: true, localAddressSpace: "L", globalAddressSpace: "G", requiresMacAddress: false } },
  netnsDir: "/run/netns",
};

function fold(s: State, events: NewEvent[]): State {
  const stored = events.map((e, i) => ({ ...e, seq: s.seq + i + 1, version: 1, meta: { actor: "t", time: "t" }, hash: "" }) as StoredEvent);
  return evolve(s, stored);
}

/** Decides `cmd`, folds it, and returns the state and the effect it opened (its id is its intent's seq). */
function opened(s: State, cmd: Command): { state: State; fx: EffectRecord } {
  const events = decide(s, cmd, ctx).events;
  const state = fold(s, events);
  const fx = C.get(state.effects, String(s.seq + 1 + events.findIndex((e) => e.type === "effect.requested")));
  if (!fx) throw new Error(`no effect open after ${cmd.type}`);
  return { state, fx };
}

/** Dispatches the effect and returns the outcomes it reported. */
async function dispatch(registry: DriverRegistry, fx: EffectRecord): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const d = new Dispatcher({ registry, databaseId: "test", report: (_id, _attempt, o) => outcomes.push(o) });
  d.start(fx, false);
  await d.drain();
  return outcomes;
}

/** The events decide records for the outcome. */
function recorded(s: State, fx: EffectRecord, o: Outcome): NewEvent[] {
  const cmd: Command = o.ok
    ? { type: "effect.outcome", effect: fx.id, attempt: fx.attempts.length, ok: true, result: o.result }
    : { type: "effect.outcome", effect: fx.id, attempt: fx.attempts.length, ok: false, error: o.error };
  return decide(s, cmd, ctx).events;
}

const outcomesOf = (events: NewEvent[]) => events.filter((e) => e.type === "effect.succeeded" || e.type === "effect.failed");

describe("a driver's answer that fails its operation's result schema", () => {
  it("is one BadResponse for a network driver's Join answered with garbage", async () => {
    const [nid, eid, sid] = [hex("1"), hex("2"), hex("3")];
    const s = stateOf([network(nid, "n", { driver: "ext" }), endpoint(eid, nid, "e"), sandbox(sid, "c1")]);
    const { state, fx } = opened(s, { type: "endpoint.join", network: "n", endpoint: "e", sandbox: sid });
    expect(fx.op).toBe("join");
    const registry = new DriverRegistry();
    let joins = 0;
    const garbage: Partial<NetworkDriver> = {
      async join() {
        joins++;
        // What a driver outside netledger's control may answer, whatever its types say.
        return JSON.parse('{"gateway":"not an address","staticRoutes":"nope"}');
      },
      async leave() {},
    };
    registry.register("ext", { ...nullDriver, ...garbage }, { dataScope: "local", sideEffects: true, usesIpam: false });

    const outcomes = await dispatch(registry, fx);
    expect(joins).toBe(1);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: "BadResponse", message: expect.stringMatching(/^driver ext: join: answered something that is not a join result \(gateway: expected an IPv4 address/) } });

    const events = outcomesOf(recorded(state, fx, outcomes[0]!));
    expect(events).toEqual([{ type: "effect.failed", stream: eid, data: { effect: fx.id, error: outcomes[0]!.ok ? null : outcomes[0]!.error } }]);
  });

  it("is one classified failure for an IPAM driver's RequestAddress answered with an address not in CIDR form", async () => {
    const nid = hex("1");
    const pool = "L:10.9.0.0/24";
    const s = stateOf([
      network(nid, "n", { driver: "null", ipam: { driver: "tipam", config: [], options: {} } }),
      {
        type: "ipam.pool.requested",
        stream: nid,
        data: { network: nid, driver: "tipam", pool, addressSpace: "L", family: 4, subnet: "10.9.0.0/24", ipRange: null, data: {} },
      },
      {
        type: "ipam.address.requested",
        stream: nid,
        data: { network: nid, driver: "tipam", pool, address: "10.9.0.1", owner: nid, role: "gateway", dynamic: false },
      },
    ]);
    const { state, fx } = opened(s, { type: "endpoint.create", id: hex("a"), network: "n", name: "e", ports: [], aliases: [] });
    expect(fx.op).toBe("requestAddress");
    let asked = 0;
    const ipam: IpamDriver = {
      async getDefaultAddressSpaces() {
        return { localDefaultAddressSpace: "L", globalDefaultAddressSpace: "G" };
      },
      async requestPool() {
        throw new Error("not asked");
      },
      async releasePool() {},
      async requestAddress() {
        asked++;
        return { address: "10.9.0.2" };
      },
      async releaseAddress() {},
    };
    const registry = new DriverRegistry();
    await registry.ipam.register("tipam", ipam);

    const outcomes = await dispatch(registry, fx);
    expect(asked).toBe(1);
    expect(outcomes).toEqual([
      { ok: false, error: { code: "DriverError", message: `IPAM driver tipam: RequestAddress returned "10.9.0.2", which is not in CIDR form` } },
    ]);

    const events = outcomesOf(recorded(state, fx, outcomes[0]!));
    expect(events).toEqual([{ type: "effect.failed", stream: hex("a"), data: { effect: fx.id, error: outcomes[0]!.ok ? null : outcomes[0]!.error } }]);
  });
});
