import { describe, expect, it } from "vitest";
import { effect, failed, given, hex, history, network, ok } from "../../../helpers/decider.js";

const N = hex("1");
const N2 = hex("2");
const E = hex("a");

/** The network.created event of "front" on the null driver, as decide writes it, with `over` on top. */
const created = (over: Parameters<typeof network>[2] = {}) =>
  network(N, "front", { driver: "null", ipam: { driver: "null", config: [], options: {} }, ...over });

/** A network of the null driver on 10.1.0.0/24 (default IPAM), with endpoint "web" when asked. */
const nullNetwork = (...more: Parameters<typeof history>) =>
  history({ type: "network.create", id: N, name: "front", driver: "null", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, ...more);
const bridgeNetwork = (...more: Parameters<typeof history>) =>
  history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, ok(N), ...more);
const pool = "LocalDefault/10.1.0.0/24";

describe("network create", () => {
  it("records a network of a driver without effects as active at once, with no IPAM", () => {
    given().when({ type: "network.create", id: N, name: "front", driver: "null" }).then([created()]);
  });

  it("records a bridge network as pending, with the first default pool and its gateway, and asks the driver for CreateNetwork", () => {
    given()
      .when({ type: "network.create", id: N, name: "front", driver: "bridge", labels: { team: "a" } })
      .then([
        created({ driver: "bridge", ipam: { driver: "default", config: [], options: {} }, labels: { team: "a" }, pending: true }),
        { type: "ipam.pool.requested", stream: N, data: expect.objectContaining({ pool: "LocalDefault/172.17.0.0/16", subnet: "172.17.0.0/16" }) },
        { type: "ipam.address.requested", stream: N, data: expect.objectContaining({ address: "172.17.0.1", role: "gateway" }) },
        effect("bridge", "createNetwork", N, {
          networkId: N,
          name: "front",
          labels: { team: "a" },
          ipv4Data: [{ addressSpace: "LocalDefault", pool: "172.17.0.0/16", gateway: "172.17.0.1/16" }],
          ipv6Data: [],
        }),
      ]);
  });

  it("takes the scope of a global driver and draws its pool from the global address space", () => {
    given()
      .when({ type: "network.create", id: N, name: "front", driver: "gplug" })
      .then([
        created({ driver: "gplug", scope: "global", ipam: { driver: "default", config: [], options: {} }, pending: true }),
        { type: "ipam.pool.requested", stream: N, data: expect.objectContaining({ addressSpace: "GlobalDefault", subnet: "10.0.0.0/24" }) },
        { type: "ipam.address.requested", stream: N, data: expect.objectContaining({ address: "10.0.0.1" }) },
        effect("gplug", "createNetwork", N),
      ]);
  });

  it("gives a network of a driver without IPAM the default IPAM when it is given a subnet", () => {
    given()
      .when({ type: "network.create", id: N, name: "front", driver: "null", ipam: { config: [{ subnet: "10.1.0.0/24" }] } })
      .then([
        created({ ipam: { driver: "default", config: [{ subnet: "10.1.0.0/24" }], options: {} } }),
        { type: "ipam.pool.requested", stream: N, data: expect.objectContaining({ pool }) },
        { type: "ipam.address.requested", stream: N, data: expect.objectContaining({ address: "10.1.0.1", role: "gateway" }) },
      ]);
  });

  it("refuses a second network with the same name", () => {
    given(network(N, "front")).when({ type: "network.create", id: N2, name: "front", driver: "null" }).thenError("Conflict", /network with name front already exists/);
  });

  it("refuses a second network with the same id", () => {
    given(network(N, "front")).when({ type: "network.create", id: N, name: "back", driver: "null" }).thenError("Conflict", /network with id 1{64} already exists/);
  });

  it("refuses a driver that is not registered", () => {
    given().when({ type: "network.create", id: N, name: "front", driver: "weave" }).thenError("NotFound", /network driver "weave" is not registered/);
  });

  it("refuses a name libnetwork would refuse", () => {
    given().when({ type: "network.create", id: N, name: "-front", driver: "null" }).thenError("InvalidParameter", /invalid network name "-front"/);
  });

  it("refuses an option with an empty key", () => {
    given().when({ type: "network.create", id: N, name: "front", driver: "null", options: { "": "x" } }).thenError("InvalidParameter", /empty key \(value "x"\)/);
  });

  it("refuses a subnet with the null IPAM driver", () => {
    given()
      .when({ type: "network.create", id: N, name: "front", driver: "null", ipam: { driver: "null", config: [{ subnet: "10.1.0.0/24" }] } })
      .thenError("InvalidParameter", /null IPAM driver cannot take subnets/);
  });

  it("refuses an IPAM driver that is not registered", () => {
    given().when({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { driver: "nope" } }).thenError("NotFound", /IPAM driver "nope" is not registered/);
  });
});

describe("network delete", () => {
  it("deletes a network of a driver without effects at once, releasing its gateway then its pool", () => {
    given(...nullNetwork())
      .when({ type: "network.delete", network: "front" })
      .then([
        { type: "ipam.address.released", stream: N, data: expect.objectContaining({ pool, address: "10.1.0.1", role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: { network: N, driver: "default", pool } },
        { type: "network.deleted", stream: N, data: { id: N, pending: false } },
      ]);
  });

  it("marks a bridge network deleting, releases its IPAM and asks the driver for DeleteNetwork", () => {
    given(...bridgeNetwork())
      .when({ type: "network.delete", network: N })
      .then([
        { type: "network.deleted", stream: N, data: { id: N, pending: true } },
        { type: "ipam.address.released", stream: N, data: expect.objectContaining({ address: "10.1.0.1", role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: expect.objectContaining({ pool }) },
        effect("bridge", "deleteNetwork", N, { networkId: N }),
      ]);
  });

  it("refuses a network that has endpoints, counting them from the endpoints themselves", () => {
    given(...nullNetwork({ type: "endpoint.create", id: E, network: "front", name: "web" }))
      .when({ type: "network.delete", network: "front" })
      .thenError("ActiveEndpoints", /network front id 1{64} has active endpoints/);
  });

  it("with force removes the endpoints of a driver without effects first, then the network, in one decision", () => {
    given(...nullNetwork({ type: "endpoint.create", id: E, network: "front", name: "web" }))
      .when({ type: "network.delete", network: "front", force: true })
      .then([
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: false } },
        { type: "ipam.address.released", stream: E, data: expect.objectContaining({ address: "10.1.0.2", role: "endpoint", owner: E }) },
        { type: "ipam.address.released", stream: N, data: expect.objectContaining({ address: "10.1.0.1", role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: expect.objectContaining({ pool }) },
        { type: "network.deleted", stream: N, data: { id: N, pending: false } },
      ]);
  });

  it("with force on a bridge network asks for each endpoint's DeleteEndpoint and waits for them before the network's", () => {
    given(...bridgeNetwork({ type: "endpoint.create", id: E, network: "front", name: "web" }, ok(E)))
      .when({ type: "network.delete", network: "front", force: true })
      .then([
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: true } },
        effect("bridge", "deleteEndpoint", E, { networkId: N, endpointId: E }),
        { type: "network.deleted", stream: N, data: { id: N, pending: true } },
      ]);
  });

  it("refuses a network still being created", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "bridge" }))
      .when({ type: "network.delete", network: "front" })
      .thenError("IllegalState", /network front \(111111111111\) is creating; it cannot be deleted now/);
  });

  it("refuses a failed network while the inverse of its CreateNetwork is in flight", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "bridge" }, failed(N, "Timeout", "no answer")))
      .when({ type: "network.delete", network: "front" })
      .thenError("Conflict", /network front has an operation in progress \(failed, effect \d+\)/);
  });

  it("still owes DeleteNetwork to a driver this process does not have", () => {
    given(network(N, "front", { driver: "gone", ipam: { driver: "null", config: [], options: {} } }))
      .when({ type: "network.delete", network: "front" })
      .then([
        { type: "network.deleted", stream: N, data: { id: N, pending: true } },
        effect("gone", "deleteNetwork", N, { networkId: N }),
      ]);
  });

  it("refuses a network that does not exist", () => {
    given().when({ type: "network.delete", network: "front" }).thenError("NotFound", /network "front" not found/);
  });
});
