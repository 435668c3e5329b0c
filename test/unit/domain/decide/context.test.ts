import { describe, expect, it } from "vitest";
import { sandboxDriver } from "../../../../src/domain/decide/index.js";
import { drivers, effect, given, hex, history, network, ok } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");
const S = hex("5");
const addWeb = { type: "endpoint.create", id: E, network: "front", name: "web" } as const;

describe("the decide context", () => {
  it("is the only place decide learns whether a driver's calls are effects", () => {
    const g = given(network(N, "front", { driver: "plug", ipam: { driver: "null", config: [], options: {} } }));
    g.when(addWeb).then([expect.objectContaining({ data: expect.objectContaining({ pending: true }) }), effect("plug", "createEndpoint", E)]);
    g.when(addWeb, { drivers: { ...drivers, plug: { ...drivers["plug"]!, sideEffects: false } } }).then([
      expect.objectContaining({ type: "endpoint.created", data: expect.objectContaining({ pending: false }) }),
    ]);
  });

  it("assumes a driver it does not list has effects, so the call stays owed rather than skipped", () => {
    given(network(N, "front", { driver: "gone", ipam: { driver: "null", config: [], options: {} } }))
      .when(addWeb)
      .then([expect.objectContaining({ type: "endpoint.created", data: expect.objectContaining({ pending: true }) }), effect("gone", "createEndpoint", E)]);
  });

  it("knows the default and null IPAM drivers itself, and others only from ipamDrivers", () => {
    const create = { type: "network.create", id: N, name: "front", driver: "plug", ipam: { driver: "pipam" } } as const;
    given().when(create, { ipamDrivers: {} }).thenError("NotFound", /IPAM driver "pipam" is not registered: the built-in ones are "default" and "null"/);
    given().when({ ...create, ipam: { driver: "default" } }, { ipamDrivers: {} }).then([expect.anything(), expect.anything(), expect.anything(), effect("plug", "createNetwork", N)]);
  });

  it("records releases to an IPAM driver no longer registered without a call, as libnetwork logs and goes on", () => {
    const made = history({ type: "network.create", id: N, name: "front", driver: "plug", ipam: { driver: "pipam" } }, ok(N, { poolId: "P", pool: "10.200.0.0/24" }), ok(N, { address: "10.200.0.1/24" }), ok(N));
    given(...made)
      .when({ type: "network.delete", network: "front" }, { ipamDrivers: {} })
      .then([
        { type: "network.deleted", stream: N, data: { id: N, pending: true } },
        { type: "ipam.address.released", stream: N, data: expect.objectContaining({ driver: "pipam", address: "10.200.0.1", role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: { network: N, driver: "pipam", pool: "P" } },
        effect("plug", "deleteNetwork", N),
      ]);
  });

  it("places a new sandbox's namespace under its netns directory, through the sandbox driver", () => {
    expect(sandboxDriver).toBe("netns");
    given()
      .when({ type: "sandbox.create", id: S, containerId: "c1" }, { netnsDir: "/tmp/ns" })
      .then([expect.objectContaining({ data: expect.objectContaining({ key: `/tmp/ns/${S}` }) }), effect("netns", "createSandbox", S, { key: `/tmp/ns/${S}` })]);
  });
});
