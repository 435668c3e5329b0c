import { describe, expect, it } from "vitest";
import { effect, given, history, ok } from "../../../helpers/decider.js";
import {
  addApi,
  address,
  addWeb,
  created,
  E,
  E2,
  front,
  N,
  netOn,
  P,
  pipamFront,
  pipamNet,
  pool,
  poolAnswer,
  released,
} from "../../../helpers/ipamHistories.js";

/** src/domain/decide/ipamEndpoint.ts: an endpoint's addresses, allocated here or asked of a driver, and what it gives back. */

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

  it("checks a static --ip against the network's subnets before asking the driver", () => {
    given(...pipamFront())
      .when({ ...addWeb, ip: "10.9.9.9" })
      .thenError("InvalidParameter", /--ip 10.9.9.9 is not in any IPv4 subnet of network front \(10.200.0.0\/24\)/);
    given(...pipamFront()).when({ ...addWeb, ip: "10.200.0.0" }).thenError("InvalidParameter", /--ip 10.200.0.0 is the network address of subnet 10.200.0.0\/24/);
  });

  it("asks for the IPv4 address first on a dual-stack network, carrying the --ip6 for the request after it", () => {
    const dual = { ...pipamNet, ipv6: true, ipam: { driver: "pipam", config: [{ subnet: "10.200.0.0/24" }, { subnet: "fd00::/64" }] } } as const;
    given(...history(dual, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24" }), ok(N, { poolId: "P6", pool: "fd00::/64" }), ok(N, { address: "fd00::1/64" }), ok(N)))
      .when({ ...addWeb, ip6: "fd00::9" })
      .then([
        created({ ipv4: null, ipv6: null, pending: true }),
        effect("pipam", "requestAddress", E, { family: 4, role: "endpoint", request: { poolId: P, address: "", options: {} }, preferred6: "fd00::9" }),
      ]);
  });

  it("gives a driver that wants the MAC address one derived from the endpoint id", () => {
    given(...history({ ...pipamNet, ipam: { driver: "macipam" } }, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24" }), ok(N)))
      .when(addWeb)
      .then([
        created({ mac: "02:42:aa:aa:aa:aa" }),
        effect("macipam", "requestAddress", E, { request: { poolId: P, address: "", options: { "com.docker.network.endpoint.macaddress": "02:42:aa:aa:aa:aa" } } }),
      ]);
  });

  it("gives a driver that wants the MAC address the one the user asked for, and no MAC to a driver that does not want it", () => {
    given(...history({ ...pipamNet, ipam: { driver: "macipam" } }, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24" }), ok(N)))
      .when({ ...addWeb, mac: "02:00:00:00:00:07" })
      .then([
        created({ mac: "02:00:00:00:00:07" }),
        effect("macipam", "requestAddress", E, { request: { poolId: P, address: "", options: { "com.docker.network.endpoint.macaddress": "02:00:00:00:00:07" } } }),
      ]);
    given(...pipamFront())
      .when({ ...addWeb, mac: "02:00:00:00:00:07" })
      .then([created({ mac: "02:00:00:00:00:07" }), effect("pipam", "requestAddress", E, { request: { poolId: P, address: "", options: {} } })]);
  });
});
