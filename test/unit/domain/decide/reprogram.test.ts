import { describe, expect, it } from "vitest";
import { effect, failed, given, hex, history, ok, sandbox, type Step } from "../../../helpers/decider.js";

const N = hex("1");
const N2 = hex("2");
const E = hex("a");
const S = hex("5");
const S2 = hex("6");
const reprogram = (drivers: string[], goneSandboxes: string[] = []) => ({ type: "kernel.reprogram", drivers, goneSandboxes }) as const;

const bridgeNet = { type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } } as const;
/** A bridge network with endpoint "web" joined to sandbox c1, every call answered, then `more`. */
const joined = (...more: Step[]) =>
  history(bridgeNet, ok(N), sandbox(S, "c1"), { type: "network.connect", id: E, network: "front", sandbox: "c1" }, ok(E), ok(E), ...more);

describe("kernel reprogram", () => {
  it("creates each active network of the named drivers again, marked reprogram, leaving other drivers' alone", () => {
    given(...history(bridgeNet, ok(N), { type: "network.create", id: N2, name: "back", driver: "null" }))
      .when(reprogram(["bridge"]))
      .then([
        { type: "network.reprogrammed", stream: N, data: { id: N } },
        effect("bridge", "createNetwork", N, {
          networkId: N,
          reprogram: true,
          ipv4Data: [{ addressSpace: "LocalDefault", pool: "10.1.0.0/24", gateway: "10.1.0.1/24" }],
        }),
      ]);
  });

  it("leaves a network with a driver call in flight for the next run", () => {
    given(...history(bridgeNet)).when(reprogram(["bridge"])).then([]);
  });

  it("deletes each sandbox whose namespace is gone with its endpoints, as a forced delete would", () => {
    given(...joined())
      .when(reprogram([], [S, S2]))
      .then([
        { type: "endpoint.left", stream: E, data: { id: E, sandbox: S, pending: true, remove: true } },
        effect("bridge", "leave", E),
        { type: "sandbox.deleted", stream: S, data: { id: S, pending: true } },
      ]);
  });

  it("skips a gone sandbox that is busy rather than failing the whole run", () => {
    given(...history({ type: "sandbox.create", id: S, containerId: "c1" })).when(reprogram([], [S])).then([]);
  });

  it("joins the network's joined endpoints again once its CreateNetwork has succeeded", () => {
    given(...joined(reprogram(["bridge"])))
      .when(ok(N))
      .then([
        { type: "effect.succeeded", stream: N, data: { effect: expect.any(Number), result: null } },
        { type: "endpoint.reprogrammed", stream: E, data: { id: E } },
        effect("bridge", "join", E, { sandboxId: S, sandboxKey: `/run/netledger/netns/${S}` }),
      ]);
  });

  it("keeps the network's pools when its re-programming CreateNetwork fails", () => {
    given(...joined(reprogram(["bridge"])))
      .when(failed(N, "DriverError"))
      .then([{ type: "effect.failed", stream: N, data: { effect: expect.any(Number), error: { code: "DriverError", message: "the driver said no" } } }]);
  });
});
