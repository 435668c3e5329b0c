import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { effect, failed, given, history, ok } from "../../../helpers/decider.js";
import { addWeb, E, N, P, pipam, pipamFront, pipamNet, poolAnswer } from "../../../helpers/ipamHistories.js";

/** src/domain/decide/ipamOutcome.ts: what an IPAM driver's answer leads to, and what decide refuses in one. */

describe("a network's IPAM answers", () => {
  it("records the pool the driver answers, then asks for its gateway", () => {
    given(...history(pipamNet))
      .when(ok(N, poolAnswer()))
      .then([
        { type: "effect.succeeded", stream: N, data: { effect: 2, result: poolAnswer() } },
        { type: "ipam.pool.requested", stream: N, data: pipam({ network: N, pool: P, addressSpace: "PLocal", family: 4, subnet: "10.200.0.0/24", ipRange: null, data: {} }) },
        effect("pipam", "requestAddress", N, {
          role: "gateway",
          request: { poolId: P, address: "", options: { RequestAddressType: "com.docker.network.gateway" } },
        }),
      ]);
  });

  it("records the pool as the subnet it names, host bits cleared", () => {
    given(...history(pipamNet))
      .when(ok(N, { poolId: P, pool: "10.200.0.7/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.pool.requested", stream: N, data: pipam({ network: N, pool: P, addressSpace: "PLocal", family: 4, subnet: "10.200.0.0/24", ipRange: null, data: {} }) },
        effect("pipam", "requestAddress", N, { role: "gateway" }),
      ]);
  });

  it("takes a gateway the driver named in the pool's data, and goes on to CreateNetwork", () => {
    given(...history(pipamNet))
      .when(ok(N, poolAnswer({ "com.docker.network.gateway": "10.200.0.254/24" })))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        expect.objectContaining({ type: "ipam.pool.requested" }),
        { type: "ipam.address.requested", stream: N, data: pipam({ network: N, pool: P, address: "10.200.0.254", owner: N, role: "gateway", dynamic: false }) },
        effect("plug", "createNetwork", N, { ipv4Data: [{ addressSpace: "PLocal", pool: "10.200.0.0/24", gateway: "10.200.0.254/24" }] }),
      ]);
  });

  it("asks for the user's gateway rather than take the one in the pool's data, and ignores a gateway of the other family", () => {
    const data = { "com.docker.network.gateway": "10.200.0.254/24" };
    given(...history({ ...pipamNet, ipam: { driver: "pipam", config: [{ subnet: "10.200.0.0/24", gateway: "10.200.0.9" }] } }))
      .when(ok(N, poolAnswer(data)))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        expect.objectContaining({ type: "ipam.pool.requested", data: expect.objectContaining({ data }) }),
        effect("pipam", "requestAddress", N, { role: "gateway", request: { poolId: P, address: "10.200.0.9", options: { RequestAddressType: "com.docker.network.gateway" } } }),
      ]);
    given(...history(pipamNet))
      .when(ok(N, poolAnswer({ "com.docker.network.gateway": "fd00::1/64" })))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        expect.objectContaining({ type: "ipam.pool.requested" }),
        effect("pipam", "requestAddress", N, { role: "gateway", request: { poolId: P, address: "", options: { RequestAddressType: "com.docker.network.gateway" } } }),
      ]);
  });

  it("records the gateway the driver hands out, then asks the network driver for CreateNetwork", () => {
    given(...history(pipamNet, ok(N, poolAnswer())))
      .when(ok(N, { address: "10.200.0.1/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.requested", stream: N, data: pipam({ network: N, pool: P, address: "10.200.0.1", owner: N, role: "gateway", dynamic: true }) },
        effect("plug", "createNetwork", N, { ipv4Data: [{ addressSpace: "PLocal", pool: "10.200.0.0/24", gateway: "10.200.0.1/24" }] }),
      ]);
  });

  it("fails the network when the driver refuses the pool, with nothing to give back", () => {
    const { state } = given(...history(pipamNet))
      .when(failed(N, "DriverError", "no pool for you"))
      .then([{ type: "effect.failed", stream: N, data: { effect: 2, error: { code: "DriverError", message: "no pool for you" } } }]);
    expect(C.get(state.networks, N)?.lifecycle).toBe("failed");
  });

  it("refuses an outcome whose answer the effect layer would not have let through, recording nothing", () => {
    // Answers are checked once, where the driver answered (the executor); decide does not judge them again.
    given(...history(pipamNet))
      .when(ok(N, { pool: "10.200.0.0/24" }))
      .thenError("InvalidParameter", /the answer recorded for requestPool is not one/);
  });

  it("fails the network on a pool id the driver returned before for it, and gives back the pool it holds", () => {
    // Only the state can tell a repeated pool id, so decide records the answer as the driver's failure.
    const two = { ...pipamNet, ipam: { driver: "pipam", config: [{ subnet: "10.200.0.0/24" }, { subnet: "10.201.0.0/24" }] } } as const;
    const { state } = given(...history(two, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24" })))
      .when(ok(N, { poolId: P, pool: "10.201.0.0/24" }))
      .then([
        {
          type: "effect.failed",
          stream: N,
          data: { effect: expect.any(Number), error: { code: "DriverError", message: `IPAM driver pipam: RequestPool returned pool id ${P} again for the same network` } },
        },
        effect("pipam", "releaseAddress", N, { request: { poolId: P, address: "10.200.0.1" }, rest: [expect.objectContaining({ op: "releasePool", pool: P })] }),
      ]);
    expect(C.get(state.networks, N)?.lifecycle).toBe("failed");
    expect(C.get(state.networks, N)?.pools.map((p) => p.id)).toEqual([P]);
  });
});

describe("an endpoint's IPAM answers", () => {
  it("records the address the driver hands out, then asks for CreateEndpoint with it", () => {
    given(...pipamFront(addWeb))
      .when(ok(E, { address: "10.200.0.2/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.requested", stream: E, data: pipam({ network: N, pool: P, address: "10.200.0.2", owner: E, role: "endpoint", dynamic: true }) },
        effect("plug", "createEndpoint", E, { interface: { address: "10.200.0.2/24", addressIPv6: null, mac: null } }),
      ]);
  });

  it("records a static address as not dynamic", () => {
    given(...pipamFront({ ...addWeb, ip: "10.200.0.9" }))
      .when(ok(E, { address: "10.200.0.9/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.requested", stream: E, data: pipam({ network: N, pool: P, address: "10.200.0.9", owner: E, role: "endpoint", dynamic: false }) },
        effect("plug", "createEndpoint", E, { interface: { address: "10.200.0.9/24", addressIPv6: null, mac: null } }),
      ]);
  });

  it("asks for the IPv6 address after the IPv4 one, with the --ip6 asked for, then CreateEndpoint with both", () => {
    const dual = { ...pipamNet, ipv6: true, ipam: { driver: "pipam", config: [{ subnet: "10.200.0.0/24" }, { subnet: "fd00::/64" }] } } as const;
    const made = history(dual, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24" }), ok(N, { poolId: "P6", pool: "fd00::/64" }), ok(N, { address: "fd00::1/64" }), ok(N));
    given(...history(...made, { ...addWeb, ip6: "fd00::9" }))
      .when(ok(E, { address: "10.200.0.2/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        expect.objectContaining({ type: "ipam.address.requested", data: expect.objectContaining({ address: "10.200.0.2", role: "endpoint" }) }),
        effect("pipam", "requestAddress", E, { family: 6, role: "endpoint", request: { poolId: "P6", address: "fd00::9", options: {} } }),
      ]);
    given(...history(...made, { ...addWeb, ip6: "fd00::9" }, ok(E, { address: "10.200.0.2/24" })))
      .when(ok(E, { address: "fd00::9/64" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.requested", stream: E, data: pipam({ network: N, pool: "P6", address: "fd00::9", owner: E, role: "endpoint", dynamic: false }) },
        effect("plug", "createEndpoint", E, { interface: { address: "10.200.0.2/24", addressIPv6: "fd00::9/64", mac: null } }),
      ]);
  });

  it("fails the endpoint when the driver refuses the address, with nothing to give back", () => {
    given(...pipamFront(addWeb)).when(failed(E, "DriverError")).then([expect.objectContaining({ type: "effect.failed" })]);
  });

  it("records the release of a deleted endpoint's address once the driver has answered", () => {
    given(...pipamFront(addWeb, ok(E, { address: "10.200.0.2/24" }), ok(E), { type: "endpoint.delete", network: "front", endpoint: "web" }, ok(E)))
      .when(ok(E))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.released", stream: E, data: pipam({ network: N, pool: P, address: "10.200.0.2", owner: E, role: "endpoint" }) },
      ]);
  });
});
