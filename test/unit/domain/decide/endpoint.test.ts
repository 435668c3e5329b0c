import { describe, expect, it } from "vitest";
import { effect, failed, given, hex, history, network, ok, sandbox, type Step } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");
const E2 = hex("b");
const S = hex("5");
const S2 = hex("6");
const pool = "LocalDefault/10.1.0.0/24";

/** A network of `driver` on 10.1.0.0/24 (its CreateNetwork answered), then `more`. */
const create = (driver: string, ...more: Step[]) =>
  history({ type: "network.create", id: N, name: "front", driver, ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, ...(driver === "bridge" ? [ok(N)] : []), ...more);
/** A network of the null driver on 10.1.0.0/24 and a sandbox of container c1, then `more`. */
const onNull = (...more: Step[]) => create("null", sandbox(S, "c1"), ...more);
const addWeb = { type: "endpoint.create", id: E, network: "front", name: "web" } as const;

const endpointCreated = (over: Record<string, unknown> = {}) => ({
  type: "endpoint.created",
  stream: E,
  data: {
    id: E,
    network: N,
    name: "web",
    ipv4: "10.1.0.2/24",
    ipv6: null,
    mac: null,
    gateway: "10.1.0.1",
    gateway6: null,
    ports: [],
    aliases: [],
    pending: false,
    ...over,
  },
});
const addressed = (address = "10.1.0.2", dynamic = true) => ({
  type: "ipam.address.requested",
  stream: E,
  data: { network: N, driver: "default", pool, address, owner: E, role: "endpoint", dynamic },
});

describe("endpoint create", () => {
  it("gives an endpoint of a driver without effects its address and records it created", () => {
    given(...create("null")).when(addWeb).then([addressed(), endpointCreated()]);
  });

  it("requests CreateEndpoint from a driver with side effects and leaves the endpoint pending", () => {
    const ports = [{ proto: "tcp" as const, port: 80, hostIp: "127.0.0.1", hostPort: 8080 }];
    given(...create("bridge"))
      .when({ ...addWeb, ports, aliases: ["www"] })
      .then([
        addressed(),
        endpointCreated({ pending: true, ports, aliases: ["www"] }),
        effect("bridge", "createEndpoint", E, {
          networkId: N,
          endpointId: E,
          interface: { address: "10.1.0.2/24", addressIPv6: null, mac: null },
          options: { ports, aliases: ["www"] },
        }),
      ]);
  });

  it("gives an endpoint on a network without IPAM no address", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "null" }))
      .when(addWeb)
      .then([endpointCreated({ ipv4: null, gateway: null })]);
  });

  it("refuses a published port whose host IP is not an IP, before anything is recorded", () => {
    const port = { proto: "tcp" as const, port: 80, hostIp: "8080", hostPort: 0 };
    const cmd = { type: "endpoint.create" as const, id: E, network: "front", name: "e1", ports: [port], aliases: [] };
    given(network(N, "front")).when(cmd).thenError("InvalidParameter", /published port 0:80: host IP "8080" is not an IP address/);
    const types = given(network(N, "front")).when({ ...cmd, ports: [{ ...port, hostIp: "127.0.0.1" }] }).events.map((e) => e.type);
    expect(types).toEqual(["endpoint.created", "effect.requested"]);
  });

  it("refuses a second endpoint with the same name in the network", () => {
    given(...create("null", addWeb)).when({ ...addWeb, id: E2 }).thenError("Conflict", /endpoint with name web already exists in network front/);
  });

  it("refuses a second endpoint with the same id", () => {
    given(...create("null", addWeb)).when({ ...addWeb, name: "api" }).thenError("Conflict", /endpoint with id a{64} already exists/);
  });

  it("refuses an alias that is not a valid name", () => {
    given(...create("null")).when({ ...addWeb, aliases: ["bad alias"] }).thenError("InvalidParameter", /invalid alias name "bad alias"/);
  });

  it("refuses a network that is not active", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "bridge" }))
      .when(addWeb)
      .thenError("IllegalState", /network front \(111111111111\) is creating; endpoints can only be added to an active network/);
  });

  it("refuses a network that does not exist", () => {
    given().when(addWeb).thenError("NotFound", /network "front" not found/);
  });
});

describe("endpoint join and leave", () => {
  const join = { type: "endpoint.join", network: "front", endpoint: "web", sandbox: "c1" } as const;
  const leave = { type: "endpoint.leave", network: "front", endpoint: "web", sandbox: "c1" } as const;

  it("joins at once on a driver without effects", () => {
    given(...onNull(addWeb)).when(join).then([{ type: "endpoint.joined", stream: E, data: { id: E, sandbox: S, pending: false } }]);
  });

  it("asks a driver with effects for Join with the sandbox's key and the endpoint's addresses", () => {
    given(...create("bridge", addWeb, ok(E), sandbox(S, "c1")))
      .when(join)
      .then([
        { type: "endpoint.joined", stream: E, data: { id: E, sandbox: S, pending: true } },
        effect("bridge", "join", E, {
          networkId: N,
          endpointId: E,
          sandboxId: S,
          sandboxKey: `/run/netledger/netns/${S}`,
          interface: { address: "10.1.0.2/24", addressIPv6: null, mac: null },
          gateway: "10.1.0.1",
        }),
      ]);
  });

  it("refuses a second join to the same sandbox", () => {
    given(...onNull(addWeb, join)).when(join).thenError("Forbidden", /endpoint web \(aaaaaaaaaaaa\) is already joined to sandbox 555555555555$/);
  });

  it("refuses a join to another sandbox while joined", () => {
    given(...onNull(addWeb, join, sandbox(S2, "c2")))
      .when({ ...join, sandbox: "c2" })
      .thenError("Forbidden", /already joined to sandbox 555555555555; leave it first/);
  });

  it("refuses a second endpoint of the same network in one sandbox", () => {
    given(...onNull(addWeb, join, { ...addWeb, id: E2, name: "api" }))
      .when({ ...join, endpoint: "api" })
      .thenError("Forbidden", /sandbox 555555555555 already has an endpoint on network front/);
  });

  it("refuses a sandbox that is not ready", () => {
    given(...create("null", addWeb, sandbox(S, "c1", { pending: true })))
      .when(join)
      .thenError("IllegalState", /sandbox 555555555555 is creating; only a ready sandbox can be joined/);
  });

  it("refuses an endpoint whose CreateEndpoint is in flight", () => {
    given(...create("bridge", addWeb, sandbox(S, "c1"))).when(join).thenError("Conflict", /endpoint web \(aaaaaaaaaaaa\) has an operation in progress \(creating, effect \d+\)/);
  });

  it("leaves at once on a driver without effects", () => {
    given(...onNull(addWeb, join)).when(leave).then([{ type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: false } }]);
  });

  it("asks a driver with effects for Leave, carrying what Join answered", () => {
    const joinInfo = { interfaceName: { srcName: "veth0", dstPrefix: "eth" } };
    given(...create("bridge", addWeb, ok(E), sandbox(S, "c1"), join, ok(E, joinInfo)))
      .when(leave)
      .then([
        { type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: true } },
        effect("bridge", "leave", E, { networkId: N, endpointId: E, sandboxId: S, joinInfo }),
      ]);
  });

  it("refuses to leave a sandbox the endpoint is not joined to", () => {
    given(...onNull(addWeb, sandbox(S2, "c2")))
      .when({ ...leave, sandbox: "c2" })
      .thenError("IllegalState", /endpoint web \(aaaaaaaaaaaa\) is not joined to sandbox 666666666666/);
  });
});

describe("endpoint delete", () => {
  const del = { type: "endpoint.delete", network: "front", endpoint: "web" } as const;
  const join = { type: "endpoint.join", network: "front", endpoint: "web", sandbox: "c1" } as const;
  const released = { type: "ipam.address.released", stream: E, data: { network: N, driver: "default", pool, address: "10.1.0.2", owner: E, role: "endpoint" } };

  it("deletes an endpoint of a driver without effects at once and releases its address", () => {
    given(...onNull(addWeb)).when(del).then([{ type: "endpoint.deleted", stream: E, data: { id: E, pending: false } }, released]);
  });

  it("asks a driver with effects for DeleteEndpoint and keeps the address until it answers", () => {
    given(...create("bridge", addWeb, ok(E)))
      .when(del)
      .then([{ type: "endpoint.deleted", stream: E, data: { id: E, pending: true } }, effect("bridge", "deleteEndpoint", E, { networkId: N, endpointId: E })]);
  });

  it("refuses a joined endpoint without force", () => {
    given(...onNull(addWeb, join)).when(del).thenError("Forbidden", /endpoint web \(aaaaaaaaaaaa\) is joined to sandbox 555555555555; leave it first or use --force/);
  });

  it("with force makes a joined endpoint of a driver without effects leave, then deletes it", () => {
    given(...onNull(addWeb, join))
      .when({ ...del, force: true })
      .then([
        { type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: false, remove: true } },
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: false } },
        released,
      ]);
  });

  it("with force asks a driver with effects for Leave first, the deletion to follow", () => {
    given(...create("bridge", addWeb, ok(E), sandbox(S, "c1"), join, ok(E)))
      .when({ ...del, force: true })
      .then([{ type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: true, remove: true } }, effect("bridge", "leave", E)]);
  });

  it("refuses an endpoint whose creation failed while the inverse call is in flight", () => {
    given(...create("bridge", addWeb, failed(E, "Timeout")))
      .when(del)
      .thenError("Conflict", /has an operation in progress \(failed, effect \d+\)/);
  });

  it("refuses an endpoint that does not exist in the network", () => {
    given(...create("null")).when(del).thenError("NotFound", /endpoint "web" not found in network front \(111111111111\)/);
  });
});

describe("network connect and disconnect", () => {
  const connect = { type: "network.connect", id: E, network: "front", sandbox: "c1" } as const;
  const disconnect = { type: "network.disconnect", network: "front", sandbox: "c1" } as const;

  it("creates an endpoint named for the container and joins it at once on a driver without effects", () => {
    given(...onNull())
      .when(connect)
      .then([
        addressed(),
        endpointCreated({ name: "c1", connect: S }),
        { type: "endpoint.joined", stream: E, data: { id: E, sandbox: S, pending: false } },
      ]);
  });

  it("on a driver with effects asks for CreateEndpoint first; the join follows its answer", () => {
    given(...create("bridge", sandbox(S, "c1")))
      .when({ ...connect, ip: "10.1.0.9" })
      .then([addressed("10.1.0.9", false), endpointCreated({ name: "c1", connect: S, pending: true, ipv4: "10.1.0.9/24" }), effect("bridge", "createEndpoint", E)]);
  });

  it("refuses a sandbox already connected to the network", () => {
    given(...onNull(connect)).when({ ...connect, id: E2 }).thenError("Forbidden", /sandbox 555555555555 \(container c1\) is already connected to network front/);
  });

  it("refuses a sandbox that is not ready", () => {
    given(...create("null", sandbox(S, "c1", { pending: true })))
      .when(connect)
      .thenError("IllegalState", /sandbox 555555555555 is creating; only a ready sandbox can be connected/);
  });

  it("disconnects by leaving and deleting the sandbox's endpoint on the network", () => {
    given(...onNull(connect))
      .when(disconnect)
      .then([
        { type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: false, remove: true } },
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: false } },
        expect.objectContaining({ type: "ipam.address.released", stream: E }),
      ]);
  });

  it("refuses to disconnect a sandbox that is not connected", () => {
    given(...onNull()).when(disconnect).thenError("NotFound", /sandbox 555555555555 \(container c1\) is not connected to network front/);
  });
});
