import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { effect, failed, given, hex, history, ok, type Step } from "../../../helpers/decider.js";

const N = hex("1");
const N2 = hex("2");
const E = hex("a");
const E2 = hex("b");

type Config = { subnet: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> };
const netOn = (config: Config[], over: Record<string, unknown> = {}) =>
  ({ type: "network.create", id: N, name: "front", driver: "null", ipam: { driver: "default", config }, ...over }) as const;
const front = (config: Config[] = [{ subnet: "10.1.0.0/24" }], ...more: Step[]) => history(netOn(config), ...more);
const addWeb = { type: "endpoint.create", id: E, network: "front", name: "web" } as const;
const addApi = { type: "endpoint.create", id: E2, network: "front", name: "api" } as const;

const poolRequested = (subnet: string, over: Record<string, unknown> = {}) => ({
  type: "ipam.pool.requested",
  stream: N,
  data: { network: N, driver: "default", pool: `LocalDefault/${subnet}`, addressSpace: "LocalDefault", family: 4, subnet, ipRange: null, data: {}, ...over },
});
const address = (owner: string, pool: string, addr: string, role: string, dynamic: boolean, extra: Record<string, unknown> = {}) => ({
  type: "ipam.address.requested",
  stream: owner,
  data: { network: N, driver: "default", pool, address: addr, owner, role, dynamic, ...extra },
});
const released = (owner: string, pool: string, addr: string, role: string, extra: Record<string, unknown> = {}) => ({
  type: "ipam.address.released",
  stream: owner,
  data: { network: N, driver: "default", pool, address: addr, owner, role, ...extra },
});
const created = (over: Record<string, unknown>) => ({ type: "endpoint.created", stream: E, data: expect.objectContaining(over) });
const pool = "LocalDefault/10.1.0.0/24";

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

describe("the default IPAM: endpoints", () => {
  it("hands out the next free address after the gateway", () => {
    given(...front()).when(addWeb).then([address(E, pool, "10.1.0.2", "endpoint", true), created({ ipv4: "10.1.0.2/24", gateway: "10.1.0.1" })]);
    given(...front(undefined, addApi)).when(addWeb).then([address(E, pool, "10.1.0.3", "endpoint", true), created({ ipv4: "10.1.0.3/24" })]);
  });

  it("hands out dynamic addresses from the --ip-range only", () => {
    given(...front([{ subnet: "10.1.0.0/24", ipRange: "10.1.0.128/25" }]))
      .when(addWeb)
      .then([address(E, "LocalDefault/10.1.0.0/24/10.1.0.128/25", "10.1.0.128", "endpoint", true), created({ ipv4: "10.1.0.128/24" })]);
  });

  it("gives a static --ip as asked, not moving the allocator", () => {
    given(...front()).when({ ...addWeb, ip: "10.1.0.50" }).then([address(E, pool, "10.1.0.50", "endpoint", false), created({ ipv4: "10.1.0.50/24" })]);
  });

  it("gives a dual-stack endpoint an address of each family", () => {
    given(...history(netOn([{ subnet: "10.1.0.0/24" }, { subnet: "fd00::/64" }], { ipv6: true })))
      .when({ ...addWeb, ip6: "fd00::9" })
      .then([
        address(E, pool, "10.1.0.2", "endpoint", true),
        address(E, "LocalDefault/fd00::/64", "fd00::9", "endpoint", false),
        created({ ipv4: "10.1.0.2/24", ipv6: "fd00::9/64", gateway: "10.1.0.1", gateway6: "fd00::1" }),
      ]);
  });

  it("refuses a static --ip that is the gateway, an auxiliary address or another endpoint's", () => {
    const g = given(...front([{ subnet: "10.1.0.0/24", auxAddresses: { router: "10.1.0.10" } }], { ...addApi, ip: "10.1.0.20" }));
    g.when({ ...addWeb, ip: "10.1.0.1" }).thenError("Conflict", /--ip 10.1.0.1 is the gateway of network front/);
    g.when({ ...addWeb, ip: "10.1.0.10" }).thenError("Conflict", /--ip 10.1.0.10 is reserved as auxiliary address router of network front/);
    g.when({ ...addWeb, ip: "10.1.0.20" }).thenError("Conflict", /--ip 10.1.0.20 is already in use by endpoint api \(bbbbbbbbbbbb\) in network front/);
  });

  it("refuses a static --ip outside the network's subnets, of the wrong family, or reserved by the subnet", () => {
    const g = given(...front());
    g.when({ ...addWeb, ip: "10.2.0.5" }).thenError("InvalidParameter", /--ip 10.2.0.5 is not in any IPv4 subnet of network front \(10.1.0.0\/24\)/);
    g.when({ ...addWeb, ip: "fd00::5" }).thenError("InvalidParameter", /--ip fd00::5 is not an IPv4 address/);
    g.when({ ...addWeb, ip6: "fd00::5" }).thenError("InvalidParameter", /network front has no IPv6 subnet, so --ip6 cannot be used on it/);
    g.when({ ...addWeb, ip: "10.1.0.255" }).thenError("InvalidParameter", /--ip 10.1.0.255 is the broadcast address of subnet 10.1.0.0\/24; it is never assigned/);
  });

  it("refuses an endpoint when the pool has no address left", () => {
    given(...front([{ subnet: "10.1.0.0/30" }], addApi))
      .when(addWeb)
      .thenError("Exhausted", /no free IPv4 address left in network front: subnet 10.1.0.0\/30 is full/);
  });

  it("frees the address of a deleted endpoint for the next one", () => {
    const full = front([{ subnet: "10.1.0.0/30" }], addApi);
    given(...full)
      .when({ type: "endpoint.delete", network: "front", endpoint: "api" })
      .then([{ type: "endpoint.deleted", stream: E2, data: { id: E2, pending: false } }, released(E2, "LocalDefault/10.1.0.0/30", "10.1.0.2", "endpoint")]);
    given(...history(...full, { type: "endpoint.delete", network: "front", endpoint: "api" }))
      .when(addWeb)
      .then([address(E, "LocalDefault/10.1.0.0/30", "10.1.0.2", "endpoint", true), created({ ipv4: "10.1.0.2/30" })]);
  });
});

// ------------------------------------------------------------------ an IPAM driver with effects

const P = "PLocal/10.200.0.0/24";
const pipamNet = { type: "network.create", id: N, name: "front", driver: "plug", ipam: { driver: "pipam" } } as const;
const poolAnswer = (data: Record<string, string> = {}) => ({ poolId: P, pool: "10.200.0.0/24", data });
/** A network of the plugin driver on the pipam IPAM, fully made: pool, gateway, CreateNetwork. */
const pipamFront = (...more: Step[]) => history(pipamNet, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24", data: {} }), ok(N), ...more);
const pipam = (over: Record<string, unknown>) => ({ driver: "pipam", ...over });

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

  it("records the gateway the driver hands out, then asks the network driver for CreateNetwork", () => {
    given(...history(pipamNet, ok(N, poolAnswer())))
      .when(ok(N, { address: "10.200.0.1/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.requested", stream: N, data: pipam({ network: N, pool: P, address: "10.200.0.1", owner: N, role: "gateway", dynamic: true }) },
        effect("plug", "createNetwork", N, { ipv4Data: [{ addressSpace: "PLocal", pool: "10.200.0.0/24", gateway: "10.200.0.1/24" }] }),
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

  it("gives the pool back when the gateway request fails", () => {
    given(...history(pipamNet, ok(N, poolAnswer())))
      .when(failed(N, "DriverError"))
      .then([expect.objectContaining({ type: "effect.failed" }), effect("pipam", "releasePool", N, { request: { poolId: P }, rest: [] })]);
  });

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
});

describe("an IPAM driver with effects: endpoints", () => {
  it("asks for the endpoint's address before CreateEndpoint, and leaves the endpoint pending", () => {
    given(...pipamFront())
      .when(addWeb)
      .then([
        created({ ipv4: null, gateway: null, pending: true }),
        effect("pipam", "requestAddress", E, { network: N, owner: E, family: 4, role: "endpoint", request: { poolId: P, address: "", options: {} } }),
      ]);
  });

  it("passes a static --ip to the driver", () => {
    given(...pipamFront())
      .when({ ...addWeb, ip: "10.200.0.9" })
      .then([created({ ipv4: null }), effect("pipam", "requestAddress", E, { request: { poolId: P, address: "10.200.0.9", options: {} } })]);
  });

  it("gives a driver that wants the MAC address one derived from the endpoint id", () => {
    given(...history({ ...pipamNet, ipam: { driver: "macipam" } }, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24" }), ok(N)))
      .when(addWeb)
      .then([
        created({ mac: "02:42:aa:aa:aa:aa" }),
        effect("macipam", "requestAddress", E, { request: { poolId: P, address: "", options: { "com.docker.network.endpoint.macaddress": "02:42:aa:aa:aa:aa" } } }),
      ]);
  });

  it("records the address the driver hands out, then asks for CreateEndpoint with it", () => {
    given(...pipamFront(addWeb))
      .when(ok(E, { address: "10.200.0.2/24" }))
      .then([
        expect.objectContaining({ type: "effect.succeeded" }),
        { type: "ipam.address.requested", stream: E, data: pipam({ network: N, pool: P, address: "10.200.0.2", owner: E, role: "endpoint", dynamic: true }) },
        effect("plug", "createEndpoint", E, { interface: { address: "10.200.0.2/24", addressIPv6: null, mac: null } }),
      ]);
  });

  it("fails the endpoint when the driver refuses the address, with nothing to give back", () => {
    given(...pipamFront(addWeb)).when(failed(E, "DriverError")).then([expect.objectContaining({ type: "effect.failed" })]);
  });

  it("asks the driver to release the address when CreateEndpoint fails", () => {
    given(...pipamFront(addWeb, ok(E, { address: "10.200.0.2/24" })))
      .when(failed(E, "DriverError"))
      .then([
        expect.objectContaining({ type: "effect.failed" }),
        effect("pipam", "releaseAddress", E, { owner: E, request: { poolId: P, address: "10.200.0.2" }, rest: [] }),
      ]);
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
