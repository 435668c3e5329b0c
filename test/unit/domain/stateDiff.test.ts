import { describe, expect, it } from "vitest";
import { diffStates, isEmptyDiff } from "../../../src/domain/stateDiff.js";
import type { EndpointView, NetworkView, StateView } from "../../../src/domain/views.js";

const net = (id: string, name: string, extra: Partial<NetworkView> = {}): NetworkView => ({
  id,
  name,
  driver: "null",
  scope: "local",
  ipam: { driver: "null", config: [], options: {}, pools: [] },
  ipv6: false,
  internal: false,
  options: {},
  labels: {},
  endpoints: [],
  state: "active",
  createdAt: "2024-05-01T00:00:00.000Z",
  ...extra,
});

const ep = (id: string, extra: Partial<EndpointView> & Record<string, unknown> = {}): EndpointView => ({
  id,
  name: `ep-${id}`,
  network: "n1",
  sandbox: null,
  ipv4: null,
  ipv6: null,
  mac: null,
  gateway: null,
  gateway6: null,
  ports: [],
  aliases: [],
  state: "created",
  createdAt: "2024-05-01T00:00:00.000Z",
  ...extra,
});

const state = (seq: number, v: Partial<StateView>): StateView => ({
  seq,
  networks: [],
  endpoints: [],
  sandboxes: [],
  effects: { pending: [], inDoubt: [] },
  ...v,
});

describe("diffStates", () => {
  it("lists entities added and removed, and the fields that changed with their values before and after", () => {
    const a = state(3, { networks: [net("n1", "web"), net("n2", "old")], endpoints: [ep("e1")] });
    const b = state(9, {
      networks: [net("n1", "web", { endpoints: ["e1"] }), net("n3", "new")],
      endpoints: [ep("e1", { state: "joined", sandbox: "s1" })],
    });
    const d = diffStates(a, b);
    expect(d.from).toBe(3);
    expect(d.to).toBe(9);
    expect(d.networks.added.map((n) => n.name)).toEqual(["new"]);
    expect(d.networks.removed.map((n) => n.name)).toEqual(["old"]);
    expect(d.networks.changed).toEqual([{ id: "n1", name: "web", fields: { endpoints: { from: [], to: ["e1"] } } }]);
    expect(d.endpoints.changed).toEqual([
      { id: "e1", name: "ep-e1", fields: { sandbox: { from: null, to: "s1" }, state: { from: "created", to: "joined" } } },
    ]);
    expect(isEmptyDiff(d)).toBe(false);
  });

  it("compares fields it was not written for, such as addresses a later view carries", () => {
    const a = state(1, { endpoints: [ep("e1", { ipv4: null, pool: "p1" })] });
    const b = state(2, { endpoints: [ep("e1", { ipv4: "10.0.0.2/24", pool: "p2" })] });
    expect(diffStates(a, b).endpoints.changed[0]!.fields).toEqual({
      ipv4: { from: null, to: "10.0.0.2/24" },
      pool: { from: "p1", to: "p2" },
    });
  });

  it("tells effects opened from effects settled, whether pending or in doubt", () => {
    const fx = (id: number) => ({ id, driver: "acme", op: "join", resource: "e1", root: "r", attempts: 1, requestedAt: "t" });
    const d = diffStates(state(1, { effects: { pending: [fx(4)], inDoubt: [] } }), state(2, { effects: { pending: [], inDoubt: [fx(7)] } }));
    expect(d.effects.added.map((f) => f.id)).toEqual([7]);
    expect(d.effects.removed.map((f) => f.id)).toEqual([4]);
  });

  it("is empty between equal states", () => {
    const a = state(5, { networks: [net("n1", "web")] });
    expect(isEmptyDiff(diffStates(a, structuredClone(a)))).toBe(true);
  });
});
