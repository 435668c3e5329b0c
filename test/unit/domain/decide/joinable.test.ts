import { describe, expect, it } from "vitest";
import * as C from "../../../../src/domain/collection.js";
import { effect, failed, given, hex, history, ok, type Step } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");
const S = hex("5");
const netns = "/run/netns/nlc-runtime";

/** A bridge network on 10.1.0.0/24 (its CreateNetwork answered), then `more`. */
const bridge = (...more: Step[]) =>
  history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, ok(N), ...more);
/** A sandbox of container c1 on a namespace the runtime gave (its check in flight until answered). */
const given_ = { type: "sandbox.create", id: S, containerId: "c1", netns } as const;
/** A sandbox of container c1 whose namespace netledger makes. */
const made = { type: "sandbox.create", id: S, containerId: "c1" } as const;
const connect = { type: "network.connect", id: E, network: "front", sandbox: "c1" } as const;

describe("a sandbox on a namespace given from outside, still being checked", () => {
  it("can be connected: the endpoint is made while the sandbox layer checks the namespace", () => {
    given(...bridge(given_))
      .when(connect)
      .then([
        expect.objectContaining({ type: "ipam.address.requested", stream: E }),
        expect.objectContaining({ type: "endpoint.created", stream: E, data: expect.objectContaining({ connect: S, pending: true }) }),
        effect("bridge", "createEndpoint", E),
      ]);
  });

  it("is joined once the endpoint exists, whether or not the check has answered", () => {
    given(...bridge(given_, connect))
      .when(ok(E))
      .then([
        expect.objectContaining({ type: "effect.succeeded", stream: E }),
        { type: "endpoint.joined", stream: E, data: { id: E, sandbox: S, pending: true } },
        effect("bridge", "join", E, { sandboxId: S, sandboxKey: netns, connect: true }),
      ]);
  });

  it("whose check failed is not joined: the connect's endpoint is removed again", () => {
    const { events } = given(...bridge(given_, connect, failed(S, "NotFound", `${netns} is not a network namespace`))).when(ok(E)).then([
      expect.objectContaining({ type: "effect.succeeded", stream: E }),
      expect.objectContaining({ type: "endpoint.deleted", stream: E }),
      effect("bridge", "deleteEndpoint", E, {}, { failure: { code: "Conflict", message: "sandbox 555555555555 was deleted before endpoint c1 could join it" } }),
    ]);
    expect(events.some((e) => e.type === "endpoint.joined")).toBe(false);
  });

  it("whose check fails while the join is under way: kept, failed, until the failed join has removed the endpoint", () => {
    const joining = bridge(given_, connect, ok(E));
    const checked = given(...joining)
      .when(failed(S, "NotFound", `${netns} is not a network namespace`))
      .then([expect.objectContaining({ type: "effect.failed", stream: S })]);
    const after = given(...joining, ...checked.events);
    const { state } = after.when(failed(E, "NotFound", `${netns} is not a network namespace`)).then([
      expect.objectContaining({ type: "effect.failed", stream: E }),
      expect.objectContaining({ type: "endpoint.deleted", stream: E }),
      effect("bridge", "deleteEndpoint", E),
      { type: "sandbox.deleted", stream: S, data: { id: S, pending: false, force: true } },
    ]);
    expect(C.has(state.sandboxes, S)).toBe(false);
  });
});

describe("a sandbox whose namespace netledger makes", () => {
  it("cannot be connected before its namespace exists", () => {
    given(...bridge(made))
      .when(connect)
      .thenError("IllegalState", /sandbox 555555555555 is creating; only a ready sandbox can be connected/);
  });
});
