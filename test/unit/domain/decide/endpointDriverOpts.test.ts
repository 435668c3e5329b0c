import { describe, expect, it } from "vitest";
import { given, hex, history, ok, sandbox } from "../../../helpers/decider.js";
import { pipamFront } from "../../../helpers/ipamHistories.js";
import type { NewEvent } from "../../../../src/domain/events.js";

/** Docker's endpoint DriverOpts (`--driver-opt`): recorded on the endpoint and handed to CreateEndpoint. */

const N = hex("1");
const E = hex("a");
const S = hex("5");
const opts = { "com.example.vlan": "12", mode: "fast" };
const bridgeFront = (...more: Parameters<typeof history>) =>
  history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, ok(N), sandbox(S, "c1"), ...more);
const connect = { type: "network.connect", id: E, network: "front", sandbox: "c1" } as const;

const of = (events: NewEvent[], type: string) => events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

describe("endpoint driver options", () => {
  it("records network connect's driver options on the endpoint and sends them with CreateEndpoint", () => {
    const events = given(...bridgeFront()).when({ ...connect, driverOpts: opts }).events;
    expect(of(events, "endpoint.created")[0]).toMatchObject({ driverOpts: opts, connect: S });
    const [request] = of(events, "effect.requested");
    expect(request).toMatchObject({ op: "createEndpoint", args: { options: { ports: [], aliases: [], driverOpts: opts } } });
  });

  it("records and sends nothing of the kind for an endpoint without any, so its events read as before", () => {
    for (const cmd of [connect, { ...connect, driverOpts: {} }]) {
      const events = given(...bridgeFront()).when(cmd).events;
      expect(of(events, "endpoint.created")[0]).not.toHaveProperty("driverOpts");
      expect(of(events, "effect.requested")[0]!["args"]).toMatchObject({ options: { ports: [], aliases: [] } });
      expect((of(events, "effect.requested")[0]!["args"] as { options: object }).options).not.toHaveProperty("driverOpts");
    }
  });

  it("keeps endpoint create's driver options for the CreateEndpoint that follows an IPAM driver's answer", () => {
    const g = given(...pipamFront({ type: "endpoint.create", id: E, network: "front", name: "web", driverOpts: opts }));
    const events = g.when(ok(E, { address: "10.200.0.2/24", data: {} })).events;
    const request = of(events, "effect.requested").find((r) => r["op"] === "createEndpoint");
    expect(request).toMatchObject({ args: { options: { driverOpts: opts } } });
  });

  it("refuses a driver option with an empty key, or one standing in for the MAC, before anything is recorded", () => {
    given(...bridgeFront()).when({ ...connect, driverOpts: { "": "x" } }).thenError("InvalidParameter", /driver option "=x" has an empty key/);
    given(...bridgeFront())
      .when({ ...connect, driverOpts: { "com.docker.network.endpoint.macaddress": "AkKsEgAC" } })
      .thenError("InvalidParameter", /com.docker.network.endpoint.macaddress is set by netledger from the endpoint's MAC; use --mac instead/);
  });
});
