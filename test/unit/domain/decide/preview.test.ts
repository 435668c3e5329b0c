import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { preview } from "../../../../src/domain/decide/preview.js";
import { effect, given, hex, history, network } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");

describe("preview: the state a decision plans its later steps on", () => {
  it("folds a decision's events on provisional seqs and leaves the state it was given as it was", () => {
    const s = given(network(N, "front")).state;
    const after = preview(s, [{ type: "network.deleted", stream: N, data: { id: N, pending: true } }]);
    expect(after.seq).toBe(s.seq + 1);
    expect(C.get(after.networks, N)?.lifecycle).toBe("deleting");
    expect(C.get(s.networks, N)?.lifecycle).toBe("active");
  });

  it("lets CreateNetwork be told of the pools chosen earlier in the same decision", () => {
    given()
      .when({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } })
      .then([expect.anything(), expect.anything(), expect.anything(), effect("bridge", "createNetwork", N, { ipv4Data: [expect.objectContaining({ pool: "10.1.0.0/24", gateway: "10.1.0.1/24" })] })]);
  });

  it("lets a forced delete tear the network down after the endpoints it removed in the same decision", () => {
    const { state } = given(...history({ type: "network.create", id: N, name: "front", driver: "null", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, { type: "endpoint.create", id: E, network: "front", name: "web" }))
      .when({ type: "network.delete", network: "front", force: true })
      .then([
        expect.objectContaining({ type: "endpoint.deleted" }),
        expect.objectContaining({ type: "ipam.address.released", stream: E }),
        expect.objectContaining({ type: "ipam.address.released", stream: N }),
        expect.objectContaining({ type: "ipam.pool.released" }),
        { type: "network.deleted", stream: N, data: { id: N, pending: false } },
      ]);
    expect(state.networks.size).toBe(0);
  });
});
