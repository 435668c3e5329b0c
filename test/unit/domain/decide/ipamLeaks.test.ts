import { describe, expect, it } from "vitest";
import { effectOn, failed, given, history, ok, type Step } from "../../../helpers/decider.js";
import { addWeb, E, N, P, pipamFront, pipamNet } from "../../../helpers/ipamHistories.js";

/** src/domain/decide/ipamLeaks.ts: what a lost answer to a request for any address or pool may hold, recorded as a suspected leak. */

const otherProcess = { pid: 5151, start: "2000", boot: "boot-1" };

/** The request open on `resource` taken over from a dead process (effect.attempted), or first recorded as unsent. */
function takenOver(events: Step[], resource: string, unsent = false): Step[] {
  const s = given(...history(...events)).state;
  const id = effectOn(s, resource);
  const before: Step[] = unsent
    ? [{ type: "effect.unsent", stream: resource, data: { effect: id, attempt: 1, error: { code: "PluginUnavailable", message: "absent" } } }]
    : [];
  return [...events, ...before, { type: "effect.attempted", stream: resource, data: { effect: id, attempt: otherProcess } }];
}

const leak = (over: Record<string, unknown>) => ({ type: "ipam.leak.suspected", stream: expect.any(String), data: expect.objectContaining(over) });

describe("a request in doubt whose answer may be lost", () => {
  it("records a suspected leak for a request for any address, by driver, pool and request, whatever the retry answers", () => {
    const steps = takenOver([...pipamFront(addWeb)], E);
    for (const outcome of [ok(E, { address: "10.200.0.3/24" }), failed(E, "DriverError", "pool is full")]) {
      const events = given(...history(...steps)).when(outcome).events;
      expect(events.filter((e) => e.type === "ipam.leak.suspected")).toEqual([
        leak({ driver: "pipam", network: N, owner: E, op: "requestAddress", pool: P, request: expect.objectContaining({ poolId: P, address: "" }), lost: 1 }),
      ]);
    }
  });

  it("records one for a request for any pool, naming no pool", () => {
    const steps = takenOver([pipamNet], N);
    const events = given(...history(...steps)).when(ok(N, { poolId: "PLocal/10.9.0.0/16", pool: "10.9.0.0/16" })).events;
    expect(events.filter((e) => e.type === "ipam.leak.suspected")).toEqual([leak({ op: "requestPool", pool: null, owner: N })]);
  });

  it("records none for a request for a given address: what it asked is released before it is asked again", () => {
    const steps = takenOver([...pipamFront({ ...addWeb, ip: "10.200.0.9" })], E);
    const events = given(...history(...steps)).when(ok(E, { address: "10.200.0.9/24" })).events;
    expect(events.map((e) => e.type)).not.toContain("ipam.leak.suspected");
  });

  it("records none when the earlier attempt sent nothing, nor for a request answered by the process that made it", () => {
    const unsent = takenOver([...pipamFront(addWeb)], E, true);
    expect(given(...history(...unsent)).when(ok(E, { address: "10.200.0.2/24" })).events.map((e) => e.type)).not.toContain("ipam.leak.suspected");
    expect(given(...pipamFront(addWeb)).when(ok(E, { address: "10.200.0.2/24" })).events.map((e) => e.type)).not.toContain("ipam.leak.suspected");
  });
});
