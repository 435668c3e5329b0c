import { describe, expect, it } from "vitest";
import { NetledgerError } from "../../../src/domain/errors.js";
import type { EffectRecord } from "../../../src/domain/state.js";
import type { NetworkDriver } from "../../../src/drivers/contract.js";
import { nullDriver } from "../../../src/drivers/null/index.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { backoffDelay, Dispatcher, dispatchedInThisProcess, type Outcome } from "../../../src/effects/dispatcher.js";

function effect(id: number, resource: string, op = "createEndpoint"): EffectRecord {
  return {
    id,
    driver: "d",
    op,
    resource,
    args: { networkId: "n", endpointId: resource, interface: { address: null, addressIPv6: null, mac: null }, options: {} },
    root: "r",
    inverse: false,
    failure: null,
    attempts: [{ pid: process.pid, start: "s", boot: "b" }],
    requestedAt: "",
  } as EffectRecord;
}

function dispatcherFor(driver: Partial<NetworkDriver>, opts: { callTimeoutMs?: number } = {}) {
  const registry = new DriverRegistry();
  registry.register("d", { ...nullDriver, ...driver }, { dataScope: "local", sideEffects: true, usesIpam: false });
  const outcomes: [number, Outcome][] = [];
  const unavailable: number[] = [];
  const d = new Dispatcher({
    registry,
    databaseId: "test",
    report: (id, _attempt, o) => outcomes.push([id, o]),
    onUnavailable: (id) => unavailable.push(id),
    backoffMs: { initial: 1, max: 4 },
    ...opts,
  });
  return { d, outcomes, unavailable };
}

describe("the dispatcher", () => {
  it("backs off from the initial wait, doubling, up to the cap", () => {
    const b = { initial: 100, max: 1000 };
    expect([1, 2, 3, 4, 5, 6, 500].map((f) => backoffDelay(f, b))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("keeps an effect for an unreachable driver pending, tells the controller once, and reports only the answer it finally gets", async () => {
    let calls = 0;
    const { d, outcomes, unavailable } = dispatcherFor({
      async createEndpoint() {
        if (++calls < 4) throw new NetledgerError("PluginUnavailable", "connection refused");
        return {};
      },
    });
    d.start(effect(1, "e1"), false);
    while (outcomes.length === 0) await new Promise((r) => setTimeout(r, 2));
    expect(calls).toBe(4);
    expect(unavailable).toEqual([1]);
    expect(outcomes).toEqual([[1, { ok: true, result: {} }]]);
  });

  it("keeps an effect as this process's until its outcome is recorded, so that it is never in doubt meanwhile", async () => {
    const registry = new DriverRegistry();
    registry.register("d", nullDriver, { dataScope: "local", sideEffects: true, usesIpam: false });
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    const reported: number[] = [];
    const d = new Dispatcher({ registry, databaseId: "held-outcome", report: (id) => (reported.push(id), committed) });
    d.start(effect(7, "e7"), false);
    while (reported.length === 0) await new Promise((r) => setImmediate(r));
    // The call has answered; its outcome waits for its commit.
    expect(d.isRunning(7)).toBe(true);
    expect(dispatchedInThisProcess("held-outcome", 7)).toBe(true);
    commit();
    await d.drain();
    expect(d.isRunning(7)).toBe(false);
    expect(dispatchedInThisProcess("held-outcome", 7)).toBe(false);
  });

  it("abandons a call that does not answer in time as a Timeout, and aborts its signal", async () => {
    let aborted = false;
    const { d, outcomes } = dispatcherFor(
      {
        createEndpoint: (_req, call) =>
          new Promise((_, reject) => call.signal!.addEventListener("abort", () => ((aborted = true), reject(new Error("aborted"))))),
      },
      { callTimeoutMs: 10 },
    );
    d.start(effect(1, "e1"), false);
    await d.drain();
    expect(aborted).toBe(true);
    expect(outcomes).toEqual([
      [1, { ok: false, error: { code: "Timeout", message: "driver d: createEndpoint: no answer within 10 ms; the call was abandoned" } }],
    ]);
  });

  it("does not start a call on a resource while an abandoned call on it may still answer", async () => {
    const order: string[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const { d, outcomes } = dispatcherFor(
      {
        // The first call ignores its signal: it answers only when released.
        async createEndpoint() {
          order.push("create starts");
          await stuck;
          order.push("create answers");
          return {};
        },
        async deleteEndpoint() {
          order.push("delete starts");
        },
      },
      { callTimeoutMs: 300 },
    );
    d.start(effect(1, "e1"), false);
    await d.drain();
    expect(outcomes[0]![1]).toMatchObject({ ok: false, error: { code: "Timeout" } });
    d.start(effect(2, "e1", "deleteEndpoint"), false);
    await new Promise((r) => setImmediate(r));
    release();
    await d.drain();
    expect(order).toEqual(["create starts", "create answers", "delete starts"]);
  });

  it("turns NotFound from a delete into success, and from a create into a failure", async () => {
    const notFound = async () => {
      throw new NetledgerError("NotFound", "no such endpoint");
    };
    const { d, outcomes } = dispatcherFor({ createEndpoint: notFound, deleteEndpoint: notFound });
    d.start(effect(1, "e1", "deleteEndpoint"), false);
    d.start(effect(2, "e2", "createEndpoint"), false);
    await d.drain();
    expect(outcomes).toEqual([
      [1, { ok: true, result: null }],
      [2, { ok: false, error: { code: "NotFound", message: "driver d: createEndpoint: no such endpoint" } }],
    ]);
  });

  it("makes a plugin's call only once its intent is on disk, and a built-in driver's without waiting for the disk", async () => {
    for (const origin of ["plugin", "builtin"]) {
      const registry = new DriverRegistry();
      const calls: string[] = [];
      registry.register("d", { ...nullDriver, async createEndpoint() { calls.push("call"); return {}; } }, { dataScope: "local", sideEffects: true, usesIpam: false }, origin);
      const durable = () => void calls.push("durable");
      const outcomes: Outcome[] = [];
      const d = new Dispatcher({ registry, databaseId: `durable-${origin}`, report: (_id, _a, o) => outcomes.push(o), durable });
      d.start(effect(1, "e1"), false);
      while (outcomes.length === 0) await new Promise((r) => setTimeout(r, 2));
      expect(calls).toEqual(origin === "plugin" ? ["durable", "call"] : ["call"]);
    }
  });
});
