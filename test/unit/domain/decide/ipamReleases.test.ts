import { describe, expect, it } from "vitest";
import { effect, failed, given, history, ipamDrivers, ok } from "../../../helpers/decider.js";
import { addWeb, E, front, N, P, pipam, pipamFront, pipamNet, pool, poolAnswer, released } from "../../../helpers/ipamHistories.js";

/** src/domain/decide/ipamReleases.ts: releases as events at once, or as a chain of driver calls one at a time. */

const { pipam: _gone, ...withoutPipam } = ipamDrivers;
/** The context once the pipam plugin is no longer registered. */
const pipamGone = { ipamDrivers: withoutPipam };

describe("releases of a pure IPAM", () => {
  it("gives every address back when the network goes: gateway, auxiliary addresses, then the pool", () => {
    given(...front([{ subnet: "10.1.0.0/24", auxAddresses: { b: "10.1.0.11", a: "10.1.0.10" } }]))
      .when({ type: "network.delete", network: "front" })
      .then([
        released(N, pool, "10.1.0.1", "gateway"),
        released(N, pool, "10.1.0.10", "aux", { name: "a" }),
        released(N, pool, "10.1.0.11", "aux", { name: "b" }),
        { type: "ipam.pool.released", stream: N, data: { network: N, driver: "default", pool } },
        { type: "network.deleted", stream: N, data: { id: N, pending: false } },
      ]);
  });
});

describe("releases to an IPAM driver with effects", () => {
  it("releases a network's addresses and pool one call at a time, then asks for DeleteNetwork", () => {
    const deleting = pipamFront({ type: "network.delete", network: "front" });
    expect(deleting.slice(-2)).toEqual([
      { type: "network.deleted", stream: N, data: { id: N, pending: true } },
      effect("pipam", "releaseAddress", N, { request: { poolId: P, address: "10.200.0.1" }, rest: [expect.objectContaining({ op: "releasePool" })] }),
    ]);
    given(...deleting)
      .when(ok(N))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.released", stream: N, data: pipam({ network: N, pool: P, address: "10.200.0.1", owner: N, role: "gateway" }) },
        effect("pipam", "releasePool", N, { request: { poolId: P }, rest: [] }),
      ]);
    given(...history(...deleting, ok(N)))
      .when(failed(N, "DriverError", "pool is busy"))
      .then([
        expect.objectContaining({ type: "effect.failed" }),
        { type: "ipam.pool.released", stream: N, data: pipam({ network: N, pool: P }) },
        effect("plug", "deleteNetwork", N, { networkId: N }),
      ]);
  });

  it("carries the releases still owed in libnetwork's order: pool by pool, the gateway, the auxiliary addresses by name, then the pool", () => {
    const dual = {
      ...pipamNet,
      ipv6: true,
      ipam: { driver: "pipam", config: [{ subnet: "10.200.0.0/24", auxAddresses: { b: "10.200.0.11", a: "10.200.0.10" } }, { subnet: "fd00::/64" }] },
    } as const;
    const made = history(
      dual,
      ok(N, poolAnswer()),
      ok(N, { address: "10.200.0.1/24" }),
      ok(N, { address: "10.200.0.11/24" }),
      ok(N, { address: "10.200.0.10/24" }),
      ok(N, { poolId: "P6", pool: "fd00::/64" }),
      ok(N, { address: "fd00::1/64" }),
      ok(N),
    );
    const step = (pool: string, op: string, extra: Record<string, unknown> = {}) => ({ network: N, driver: "pipam", pool, owner: N, op, ...extra });
    given(...made)
      .when({ type: "network.delete", network: "front" })
      .then([
        { type: "network.deleted", stream: N, data: { id: N, pending: true } },
        effect("pipam", "releaseAddress", N, {
          step: step(P, "releaseAddress", { address: "10.200.0.1", role: "gateway" }),
          rest: [
            step(P, "releaseAddress", { address: "10.200.0.10", role: "aux", name: "a" }),
            step(P, "releaseAddress", { address: "10.200.0.11", role: "aux", name: "b" }),
            step(P, "releasePool"),
            step("P6", "releaseAddress", { address: "fd00::1", role: "gateway" }),
            step("P6", "releasePool"),
          ],
        }),
      ]);
  });

  it("gives the pool back when the gateway request fails", () => {
    given(...history(pipamNet, ok(N, poolAnswer())))
      .when(failed(N, "DriverError"))
      .then([expect.objectContaining({ type: "effect.failed" }), effect("pipam", "releasePool", N, { request: { poolId: P }, rest: [] })]);
  });

  it("asks the driver to release the address when CreateEndpoint fails", () => {
    given(...pipamFront(addWeb, ok(E, { address: "10.200.0.2/24" })))
      .when(failed(E, "DriverError"))
      .then([
        expect.objectContaining({ type: "effect.failed" }),
        effect("pipam", "releaseAddress", E, { owner: E, request: { poolId: P, address: "10.200.0.2" }, rest: [] }),
      ]);
  });
});

describe("releases to an IPAM driver no longer registered", () => {
  it("records a network's releases at once, asking the driver nothing, and goes on to DeleteNetwork", () => {
    // libnetwork logs and goes on when it cannot reach the IPAM driver on delete.
    given(...pipamFront())
      .when({ type: "network.delete", network: "front" }, pipamGone)
      .then([
        { type: "network.deleted", stream: N, data: { id: N, pending: true } },
        { type: "ipam.address.released", stream: N, data: pipam({ network: N, pool: P, address: "10.200.0.1", owner: N, role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: pipam({ network: N, pool: P }) },
        effect("plug", "deleteNetwork", N, { networkId: N }),
      ]);
  });

  it("records an endpoint's release at once once DeleteEndpoint has answered", () => {
    const made = pipamFront(addWeb, ok(E, { address: "10.200.0.2/24" }), ok(E));
    const { events } = given(...made)
      .when({ type: "endpoint.delete", network: "front", endpoint: "web" }, pipamGone)
      .then([{ type: "endpoint.deleted", stream: E, data: { id: E, pending: true } }, effect("plug", "deleteEndpoint", E, { networkId: N, endpointId: E })]);
    given(...made, ...events)
      .when(ok(E), pipamGone)
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.released", stream: E, data: pipam({ network: N, pool: P, address: "10.200.0.2", owner: E, role: "endpoint" }) },
      ]);
  });
});
