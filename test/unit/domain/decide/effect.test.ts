import { describe, expect, it } from "vitest";
import { attempt, effect, failed, given, hex, history, netnsDir, ok, root, sandbox } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");
const S = hex("5");

/** A bridge network with no IPAM, its CreateNetwork answered. */
const bridge = history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { driver: "null" } }, ok(N));

describe("an effect intent", () => {
  it("names the driver, the operation, the resource it acts on, its arguments, the command it serves and the process that will call", () => {
    given()
      .when({ type: "sandbox.create", id: S, containerId: "c1" })
      .then([
        expect.objectContaining({ type: "sandbox.created" }),
        {
          type: "effect.requested",
          stream: S,
          data: { driver: "netns", op: "createSandbox", resource: S, args: { sandboxId: S, key: `${netnsDir}/${S}`, create: true }, root, attempt },
        },
      ]);
  });

  it("records the attempt of the process that decides it", () => {
    const other = { pid: 7, start: "70", boot: "boot-1" };
    given(...bridge)
      .when({ type: "endpoint.create", id: E, network: "front", name: "web" }, { attempt: other, root: "req-2" })
      .then([expect.objectContaining({ type: "endpoint.created" }), effect("bridge", "createEndpoint", E, {}, { attempt: other, root: "req-2" })]);
  });

  it("is marked inverse when it undoes a call that may have acted", () => {
    given(...history(...bridge, { type: "endpoint.create", id: E, network: "front", name: "web" }))
      .when(failed(E, "Timeout"))
      .then([expect.objectContaining({ type: "effect.failed" }), effect("bridge", "deleteEndpoint", E, { endpointId: E }, { inverse: true })]);
  });

  it("of a continuation serves the command the effect it follows served, not the outcome's", () => {
    given(...history(...bridge, sandbox(S, "c1", { key: null }), { type: "network.connect", id: E, network: "front", sandbox: "c1" }))
      .when(ok(E), { root: "outcome-feed" })
      .then([expect.objectContaining({ type: "effect.succeeded" }), expect.objectContaining({ type: "endpoint.joined" }), effect("bridge", "join", E, { connect: true }, { root })]);
  });
});
