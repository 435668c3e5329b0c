import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { effect, failed, given, history, ok } from "../../../helpers/decider.js";
import { addWeb, E, N, P, pipam, pipamFront, pipamNet, poolAnswer } from "../../../helpers/ipamHistories.js";

/**
 * src/domain/decide/outcome.ts: a create that may have been made (a timeout, a broken connection) owes
 * its undo, and on a remote IPAM its releases are driver calls too, on the same resource. Both in one
 * outcome opened two effects on one resource, which the fold refuses ("resource … already has effect M
 * in flight"): the outcome was dropped. The undo goes first; its answer makes the releases.
 */

describe("a create in doubt on a remote IPAM", () => {
  it("sends DeleteEndpoint first when CreateEndpoint timed out, and releases the address once it has answered", () => {
    const made = pipamFront(addWeb, ok(E, { address: "10.200.0.2/24" }));
    const { state } = given(...made)
      .when(failed(E, "Timeout"))
      .then([expect.objectContaining({ type: "effect.failed", stream: E }), effect("plug", "deleteEndpoint", E, { endpointId: E }, { inverse: true })]);
    given(...history(...made, failed(E, "Timeout")))
      .when(ok(E))
      .then([
        expect.objectContaining({ type: "effect.succeeded", stream: E }),
        effect("pipam", "releaseAddress", E, { request: { poolId: P, address: "10.200.0.2" }, rest: [] }),
      ]);
    expect(C.get(state.endpoints, E)?.lifecycle).toBe("failed");
  });

  it("sends DeleteNetwork first when CreateNetwork timed out, then gives back the gateway and the pool one call at a time", () => {
    const made = history(pipamNet, ok(N, poolAnswer()), ok(N, { address: "10.200.0.1/24", data: {} }));
    given(...made)
      .when(failed(N, "InDoubt"))
      .then([expect.objectContaining({ type: "effect.failed", stream: N }), effect("plug", "deleteNetwork", N, { networkId: N }, { inverse: true })]);
    given(...history(...made, failed(N, "InDoubt")))
      .when(failed(N, "NotFound"))
      .then([
        expect.objectContaining({ type: "effect.failed", stream: N }),
        effect("pipam", "releaseAddress", N, { request: { poolId: P, address: "10.200.0.1" }, rest: [expect.objectContaining({ op: "releasePool" })] }),
      ]);
    // The chain ends with the pool given back; the failed network goes once nothing is owed.
    const { state } = given(...history(...made, failed(N, "InDoubt"), failed(N, "NotFound"), ok(N)))
      .when(ok(N))
      .then([
        expect.objectContaining({ type: "effect.succeeded", stream: N }),
        { type: "ipam.pool.released", stream: N, data: pipam({ network: N, pool: P }) },
      ]);
    expect(C.has(state.effectsByResource, N)).toBe(false);
  });
});
