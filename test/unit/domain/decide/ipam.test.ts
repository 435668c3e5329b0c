import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import * as ipam from "../../../../src/domain/decide/ipam.js";
import * as drivers from "../../../../src/domain/decide/ipamDrivers.js";
import * as endpoint from "../../../../src/domain/decide/ipamEndpoint.js";
import * as network from "../../../../src/domain/decide/ipamNetwork.js";
import * as outcome from "../../../../src/domain/decide/ipamOutcome.js";
import * as releases from "../../../../src/domain/decide/ipamReleases.js";
import { given, history, ok } from "../../../helpers/decider.js";
import { addWeb, E, N, pipamFront } from "../../../helpers/ipamHistories.js";

/**
 * src/domain/decide/ipam.ts gathers the IPAM concepts decide uses (each specified in its own
 * ipam*.test.ts): it re-exports them as they are, and decide reaches all of them through it.
 */

describe("the IPAM of decide", () => {
  it("re-exports each concept's functions as they are", () => {
    const concepts: Record<string, unknown>[] = [drivers, endpoint, network, outcome, releases];
    const names = Object.keys(ipam);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(concepts.some((c) => c[name] === (ipam as Record<string, unknown>)[name]), name).toBe(true);
  });

  it("carries a network and an endpoint on an IPAM plugin from their first request to their last release", () => {
    // Each step is decided through decide: RequestPool, the gateway, CreateNetwork, the endpoint's address,
    // CreateEndpoint; then DeleteEndpoint and the address's release, the gateway's and the pool's, and
    // DeleteNetwork, whose answer ends the network.
    const made = pipamFront(addWeb, ok(E, { address: "10.200.0.2/24" }), ok(E));
    const gone = history(...made, { type: "endpoint.delete", network: "front", endpoint: "web" }, ok(E), ok(E), { type: "network.delete", network: "front" }, ok(N), ok(N));
    const { state } = given(...gone).when(ok(N)).then([expect.objectContaining({ type: "effect.succeeded" })]);
    expect(C.get(state.networks, N)).toBeUndefined();
    expect(C.get(state.endpoints, E)).toBeUndefined();
    expect(gone.filter((e) => e.type === "ipam.address.released" || e.type === "ipam.pool.released").map((e) => e.type)).toEqual([
      "ipam.address.released",
      "ipam.address.released",
      "ipam.pool.released",
    ]);
  });
});
