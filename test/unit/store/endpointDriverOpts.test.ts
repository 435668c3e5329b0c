import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";
import { evolve } from "../../../src/domain/evolve.js";
import { emptyState } from "../../../src/domain/state.js";
import { endpointView } from "../../../src/domain/views.js";
import { type EventRow, toEvent } from "../../../src/store/eventLog.js";
import { fixtureStore } from "../../helpers/fixtureStore.js";

/** endpoint.created gained `driverOpts` (optional) without a new version: logs written before it still read and fold. */

const id = (c: string) => c.repeat(64);
const row = (type: string, seq: number, data: Record<string, unknown>): EventRow => ({
  seq,
  stream: String(data["id"]),
  type,
  version: 1,
  data: JSON.stringify(data),
  actor: "t",
  time: "2026-01-01T00:00:00.000Z",
  request_id: null,
  causation: null,
  hash: "h",
});
const net = row("network.created", 1, {
  id: id("1"),
  name: "n",
  driver: "null",
  scope: "local",
  ipam: { driver: "default", config: [], options: {} },
  ipv6: false,
  internal: false,
  options: {},
  labels: {},
  pending: false,
});
const ep = (extra: Record<string, unknown>) =>
  row("endpoint.created", 2, {
    id: id("a"),
    network: id("1"),
    name: "e",
    ipv4: null,
    ipv6: null,
    mac: null,
    gateway: null,
    gateway6: null,
    ports: [],
    aliases: [],
    pending: false,
    ...extra,
  });

describe("endpoint driver options in the log", () => {
  it("folds an endpoint.created written before driver options existed as an endpoint without any", () => {
    const s = evolve(emptyState(), [toEvent(net), toEvent(ep({}))]);
    const e = C.get(s.endpoints, id("a"))!;
    expect(e).not.toHaveProperty("driverOpts");
    expect(endpointView(e)).not.toHaveProperty("driverOpts");
  });

  it("folds the fixture log of an older netledger, whose endpoints carry none", () => {
    const store = fixtureStore();
    const s = evolve(emptyState(), [...store.log.rows()].map(toEvent));
    const endpoints = C.keys(s.endpoints).map((k) => C.get(s.endpoints, k)!);
    expect(endpoints.length).toBeGreaterThan(0);
    for (const e of endpoints) expect(e).not.toHaveProperty("driverOpts");
  });

  it("folds the driver options recorded, and shows them in the endpoint's view", () => {
    const s = evolve(emptyState(), [toEvent(net), toEvent(ep({ driverOpts: { vlan: "12" } }))]);
    expect(endpointView(C.get(s.endpoints, id("a"))!).driverOpts).toEqual({ vlan: "12" });
  });

  it("reads driver options that are not strings as a corrupt log, naming the event", () => {
    expect(() => toEvent(ep({ driverOpts: { vlan: 12 } }))).toThrow(/event 2 \(endpoint.created\) does not match its schema/);
  });
});
