import { describe, expect, it } from "vitest";
import { effect, given, history, ok } from "../../../helpers/decider.js";
import { address, front, N, N2, netOn, P, pipamNet, poolAnswer, poolRequested, released } from "../../../helpers/ipamHistories.js";

/** src/domain/decide/ipamNetwork.ts: a network's pools, gateways and auxiliary addresses, and what it gives back. */

describe("the default IPAM: networks", () => {
  it("hands a network without a subnet the first free default pool, and the next network the next one", () => {
    given()
      .when(netOn([]))
      .then([expect.objectContaining({ type: "network.created" }), poolRequested("172.17.0.0/16"), address(N, "LocalDefault/172.17.0.0/16", "172.17.0.1", "gateway", false)]);
    given(...history(netOn([], { id: N2, name: "back" })))
      .when(netOn([]))
      .then([expect.objectContaining({ type: "network.created" }), poolRequested("172.18.0.0/16"), address(N, "LocalDefault/172.18.0.0/16", "172.18.0.1", "gateway", false)]);
  });

  it("requests the user's pool, gateway and auxiliary addresses, in libnetwork's order", () => {
    given()
      .when(netOn([{ subnet: "10.1.0.0/24", gateway: "10.1.0.254", ipRange: "10.1.0.128/25", auxAddresses: { router: "10.1.0.10" } }]))
      .then([
        expect.objectContaining({ type: "network.created" }),
        poolRequested("10.1.0.0/24", { pool: "LocalDefault/10.1.0.0/24/10.1.0.128/25", ipRange: "10.1.0.128/25" }),
        address(N, "LocalDefault/10.1.0.0/24/10.1.0.128/25", "10.1.0.254", "gateway", false),
        address(N, "LocalDefault/10.1.0.0/24/10.1.0.128/25", "10.1.0.10", "aux", false, { name: "router" }),
      ]);
  });

  it("refuses a subnet another network holds, or one that overlaps it", () => {
    given(...front()).when(netOn([{ subnet: "10.1.0.0/24" }], { id: N2, name: "back" })).thenError("Conflict", /subnet 10.1.0.0\/24 is already used by network front \(111111111111\)/);
    given(...front()).when(netOn([{ subnet: "10.1.0.0/16" }], { id: N2, name: "back" })).thenError("Conflict", /subnet 10.1.0.0\/16 overlaps subnet 10.1.0.0\/24 of network front/);
  });

  it("refuses a network when every default pool is taken", () => {
    given(...front([{ subnet: "172.16.0.0/12" }, { subnet: "192.168.0.0/16" }]))
      .when(netOn([], { id: N2, name: "back" }))
      .thenError("Exhausted", /no default address pool is free in LocalDefault .*; give the network a --subnet/);
  });

  it("refuses IPv6 without an IPv6 subnet, and an IPv6 subnet without --ipv6", () => {
    given().when(netOn([], { ipv6: true })).thenError("InvalidParameter", /the default IPAM has no default IPv6 pools/);
    given().when(netOn([{ subnet: "fd00::/64" }])).thenError("InvalidParameter", /subnet fd00::\/64 is IPv6, but IPv6 is not enabled on the network; add --ipv6/);
  });

  it("refuses an auxiliary address on the default gateway", () => {
    given().when(netOn([{ subnet: "10.1.0.0/24", auxAddresses: { r: "10.1.0.1" } }])).thenError("InvalidParameter", /--aux-address r=10.1.0.1 is the gateway of subnet 10.1.0.0\/24/);
  });

  it("gives a dual-stack network's holdings back pool by pool: each pool's gateway, then the pool", () => {
    const dual = history(netOn([{ subnet: "10.1.0.0/24" }, { subnet: "fd00::/64" }], { ipv6: true }));
    given(...dual)
      .when({ type: "network.delete", network: "front" })
      .then([
        released(N, "LocalDefault/10.1.0.0/24", "10.1.0.1", "gateway"),
        { type: "ipam.pool.released", stream: N, data: { network: N, driver: "default", pool: "LocalDefault/10.1.0.0/24" } },
        released(N, "LocalDefault/fd00::/64", "fd00::1", "gateway"),
        { type: "ipam.pool.released", stream: N, data: { network: N, driver: "default", pool: "LocalDefault/fd00::/64" } },
        { type: "network.deleted", stream: N, data: { id: N, pending: false } },
      ]);
  });
});

describe("what a network driver's CreateNetwork is told of the pools", () => {
  it("gives each family's pools with the gateway and auxiliary addresses in CIDR form, as libnetwork's IPAMData", () => {
    given()
      .when({
        type: "network.create",
        id: N,
        name: "front",
        driver: "bridge",
        ipv6: true,
        ipam: { config: [{ subnet: "10.1.0.0/24", auxAddresses: { router: "10.1.0.10" } }, { subnet: "fd00::/64" }] },
      })
      .then([
        expect.objectContaining({ type: "network.created" }),
        expect.objectContaining({ type: "ipam.pool.requested" }),
        expect.objectContaining({ type: "ipam.address.requested" }),
        expect.objectContaining({ type: "ipam.address.requested" }),
        expect.objectContaining({ type: "ipam.pool.requested" }),
        expect.objectContaining({ type: "ipam.address.requested" }),
        effect("bridge", "createNetwork", N, {
          ipv4Data: [{ addressSpace: "LocalDefault", pool: "10.1.0.0/24", gateway: "10.1.0.1/24", auxAddresses: { router: "10.1.0.10/24" } }],
          ipv6Data: [{ addressSpace: "LocalDefault", pool: "fd00::/64", gateway: "fd00::1/64" }],
        }),
      ]);
  });
});

describe("an IPAM driver with effects: networks", () => {
  it("asks for a pool first and leaves the network pending, without CreateNetwork yet", () => {
    given()
      .when(pipamNet)
      .then([
        expect.objectContaining({ type: "network.created", data: expect.objectContaining({ pending: true, ipam: { driver: "pipam", config: [], options: {} } }) }),
        effect("pipam", "requestPool", N, {
          network: N,
          owner: N,
          family: 4,
          role: "pool",
          request: { addressSpace: "PLocal", pool: "", subPool: "", options: {}, v6: false },
          userGateway: false,
        }),
      ]);
  });

  it("passes the user's subnet, range and IPAM options in RequestPool, and says whether the user named a gateway", () => {
    given()
      .when({ ...pipamNet, ipam: { driver: "pipam", options: { tier: "gold" }, config: [{ subnet: "10.9.0.0/24", ipRange: "10.9.0.128/25", gateway: "10.9.0.254" }] } })
      .then([
        expect.objectContaining({ type: "network.created" }),
        effect("pipam", "requestPool", N, {
          request: { addressSpace: "PLocal", pool: "10.9.0.0/24", subPool: "10.9.0.128/25", options: { tier: "gold" }, v6: false },
          userGateway: true,
        }),
      ]);
  });

  it("asks for the user's auxiliary addresses after the gateway", () => {
    given(...history({ ...pipamNet, ipam: { driver: "pipam", config: [{ subnet: "10.9.0.0/24", auxAddresses: { r: "10.9.0.5" } }] } }, ok(N, { poolId: "p9", pool: "10.9.0.0/24" })))
      .when(ok(N, { address: "10.9.0.1/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        expect.objectContaining({ type: "ipam.address.requested", data: expect.objectContaining({ role: "gateway" }) }),
        effect("pipam", "requestAddress", N, { role: "aux", name: "r", request: { poolId: "p9", address: "10.9.0.5", options: {} } }),
      ]);
  });

  it("asks pool by pool: the IPv6 pool once the IPv4 pool has its gateway", () => {
    const dual = { ...pipamNet, ipv6: true, ipam: { driver: "pipam", config: [{ subnet: "10.200.0.0/24" }, { subnet: "fd00::/64" }] } } as const;
    given(...history(dual, ok(N, poolAnswer())))
      .when(ok(N, { address: "10.200.0.1/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        expect.objectContaining({ type: "ipam.address.requested", data: expect.objectContaining({ pool: P, role: "gateway" }) }),
        effect("pipam", "requestPool", N, {
          family: 6,
          role: "pool",
          request: { addressSpace: "PLocal", pool: "fd00::/64", subPool: "", options: {}, v6: true },
          userGateway: false,
        }),
      ]);
  });
});
