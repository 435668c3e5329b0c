import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { effect, given, ipamDrivers } from "../../../helpers/decider.js";
import { addWeb, address, E, N, pipamFront, pipamNet, poolRequested } from "../../../helpers/ipamHistories.js";

/** src/domain/decide/ipamDrivers.ts: which IPAM driver a network uses, and whether its calls are effects. */

const { pipam: _gone, ...withoutPipam } = ipamDrivers;
/** The context once the pipam plugin is no longer registered. */
const pipamGone = { ipamDrivers: withoutPipam };

describe("the built-in IPAM drivers", () => {
  it("decides the default IPAM at once, with no call of its own: only the network driver is asked", () => {
    given()
      .when({ ...pipamNet, ipam: { driver: "default", config: [{ subnet: "10.1.0.0/24" }] } })
      .then([
        expect.objectContaining({ type: "network.created", data: expect.objectContaining({ pending: true }) }),
        poolRequested("10.1.0.0/24"),
        address(N, "LocalDefault/10.1.0.0/24", "10.1.0.1", "gateway", false),
        effect("plug", "createNetwork", N, { ipv4Data: [{ addressSpace: "LocalDefault", pool: "10.1.0.0/24", gateway: "10.1.0.1/24" }] }),
      ]);
  });

  it("draws a global network's default pool from the default IPAM's global address space", () => {
    given()
      .when({ type: "network.create", id: N, name: "wide", driver: "gplug", ipam: { driver: "default", config: [{ subnet: "10.1.0.0/24" }] } })
      .then([
        expect.objectContaining({ type: "network.created" }),
        poolRequested("10.1.0.0/24", { pool: "GlobalDefault/10.1.0.0/24", addressSpace: "GlobalDefault" }),
        address(N, "GlobalDefault/10.1.0.0/24", "10.1.0.1", "gateway", false),
        expect.objectContaining({ type: "effect.requested" }),
      ]);
  });

  it("gives a network on the null IPAM no pool and asks nothing of it", () => {
    const { state } = given()
      .when({ ...pipamNet, ipam: { driver: "null" } })
      .then([expect.objectContaining({ type: "network.created" }), effect("plug", "createNetwork", N, { ipv4Data: [], ipv6Data: [] })]);
    expect(C.get(state.networks, N)?.pools).toEqual([]);
  });
});

describe("an IPAM plugin", () => {
  it("is asked through effects, in its own local address space", () => {
    given().when(pipamNet).then([expect.objectContaining({ type: "network.created" }), effect("pipam", "requestPool", N, { request: expect.objectContaining({ addressSpace: "PLocal" }) })]);
  });

  it("is asked in its global address space for a network of a global driver", () => {
    given()
      .when({ type: "network.create", id: N, name: "wide", driver: "gplug", ipam: { driver: "pipam" } })
      .then([
        expect.objectContaining({ type: "network.created", data: expect.objectContaining({ scope: "global" }) }),
        effect("pipam", "requestPool", N, { request: expect.objectContaining({ addressSpace: "PGlobal" }) }),
      ]);
  });
});

describe("an IPAM driver that is not registered", () => {
  it("is refused for a new network, naming the built-in ones", () => {
    given()
      .when({ ...pipamNet, ipam: { driver: "nope" } })
      .thenError("NotFound", /^IPAM driver "nope" is not registered: the built-in ones are "default" and "null", and no plugin by that name is known$/);
  });

  it("is refused for a new endpoint on a network whose IPAM plugin is gone, and asked again once it is back", () => {
    given(...pipamFront()).when(addWeb, pipamGone).thenError("NotFound", /IPAM driver "pipam" is not registered/);
    given(...pipamFront())
      .when(addWeb)
      .then([expect.objectContaining({ type: "endpoint.created" }), effect("pipam", "requestAddress", E, { role: "endpoint" })]);
  });

  // What a plugin that is gone is owed on delete (nothing asked, releases recorded at once): ipamReleases.test.ts.
});
