import { describe, expect, it } from "vitest";
import { attempt, effect, failed, given, hex, history, ok, sandbox, type Step } from "../../../helpers/decider.js";

const N = hex("1");
const E = hex("a");
const S = hex("5");
const pool = "LocalDefault/10.1.0.0/24";

/** A network whose CreateNetwork (effect 2) is in flight, on a plugin driver and no IPAM. */
const creating = history({ type: "network.create", id: N, name: "n1", driver: "plug", ipam: { driver: "null" } });
const outcome = (effect: number, attempt: number) => ({ type: "effect.outcome", effect, attempt, ok: true, result: null }) as const;

/** A bridge network on 10.1.0.0/24, its CreateNetwork answered, then `more`. */
const bridge = (...more: Step[]) =>
  history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }, ok(N), ...more);
const addWeb = { type: "endpoint.create", id: E, network: "front", name: "web" } as const;
const connect = { type: "network.connect", id: E, network: "front", sandbox: "c1" } as const;
const succeeded = (result: unknown = null) => ({ type: "effect.succeeded", stream: E, data: { effect: expect.any(Number), result } });
const failedWith = (code: string, stream = E) => ({ type: "effect.failed", stream, data: { effect: expect.any(Number), error: { code, message: "the driver said no" } } });
const releasedEndpoint = { type: "ipam.address.released", stream: E, data: { network: N, driver: "default", pool, address: "10.1.0.2", owner: E, role: "endpoint" } };

describe("an effect outcome", () => {
  it("is refused when it answers for an attempt another has superseded, and a second outcome is refused", () => {
    const retried = history(...creating, { type: "effect.retry", effect: 2, seen: 1 });
    given(...retried).when(outcome(2, 1)).thenError("Conflict", /^effect 2: attempt 1 was superseded by attempt 2; its outcome is not recorded$/);
    given(...history(...retried, outcome(2, 2)))
      .when(outcome(2, 2))
      .thenError("Conflict", /^effect 2 is not open: its outcome is already recorded$/);
  });

  it("is taken over once: a second process that saw the same attempts is refused", () => {
    given(...creating)
      .when({ type: "effect.retry", effect: 2, seen: 1 })
      .then([{ type: "effect.attempted", stream: N, data: { effect: 2, attempt } }]);
    given(...history(...creating, { type: "effect.retry", effect: 2, seen: 1 }))
      .when({ type: "effect.retry", effect: 2, seen: 1 })
      .thenError("Conflict", /^effect 2 was taken over by another process \(attempt 2\)$/);
  });

  it("owes the inverse call only when the driver may have acted: a timeout or a malformed answer, not a refusal", () => {
    for (const [code, inverse] of [["Timeout", true], ["BadResponse", true], ["DriverError", false], ["Forbidden", false]] as const) {
      const events = given(...creating).when(failed(N, code, "x")).events;
      const undo = events.filter((e) => e.type === "effect.requested");
      expect(undo.length, code).toBe(inverse ? 1 : 0);
      if (inverse) expect(undo[0]!.data).toMatchObject({ op: "deleteNetwork", inverse: true, root: "req-1", resource: N });
    }
  });

  it("of an inverse call moves no lifecycle; the undo of a failed create is followed by the entity's removal", () => {
    given(...history(...creating, failed(N, "Timeout", "x")))
      .when(ok(N))
      .then([{ type: "effect.succeeded", stream: N, data: { effect: 4, result: null } }, { type: "network.deleted", stream: N, data: { id: N, pending: false } }]);
  });
});

describe("compensations: what a failed call gives back", () => {
  it("releases the address and removes the endpoint when CreateEndpoint fails: the name is free again", () => {
    const removed = { type: "endpoint.deleted", stream: E, data: { id: E, pending: false, force: true } };
    given(...bridge(addWeb)).when(failed(E, "DriverError")).then([failedWith("DriverError"), releasedEndpoint, removed]);
    given(...bridge(addWeb, failed(E, "DriverError")))
      .when({ type: "endpoint.create", id: hex("b"), network: "front", name: "web" })
      .then([expect.objectContaining({ type: "ipam.address.requested" }), expect.objectContaining({ type: "endpoint.created" }), expect.objectContaining({ type: "effect.requested" })]);
  });

  it("removes the endpoint once the undo of a CreateEndpoint in doubt has answered", () => {
    given(...bridge(addWeb, failed(E, "Timeout")))
      .when(ok(E))
      .then([succeeded(), { type: "endpoint.deleted", stream: E, data: { id: E, pending: false, force: true } }]);
  });

  it("releases the address and sends DeleteEndpoint when CreateEndpoint timed out", () => {
    given(...bridge(addWeb))
      .when(failed(E, "Timeout"))
      .then([failedWith("Timeout"), releasedEndpoint, effect("bridge", "deleteEndpoint", E, { endpointId: E }, { inverse: true })]);
  });

  it("releases the network's gateway and pool when CreateNetwork fails", () => {
    given(...history({ type: "network.create", id: N, name: "front", driver: "bridge", ipam: { config: [{ subnet: "10.1.0.0/24" }] } }))
      .when(failed(N, "DriverError"))
      .then([
        failedWith("DriverError", N),
        { type: "ipam.address.released", stream: N, data: expect.objectContaining({ address: "10.1.0.1", role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: { network: N, driver: "default", pool } },
        { type: "network.deleted", stream: N, data: { id: N, pending: false } },
      ]);
  });

  it("releases the address once DeleteEndpoint has answered, whatever it answered", () => {
    const deleting = bridge(addWeb, ok(E), { type: "endpoint.delete", network: "front", endpoint: "web" });
    given(...deleting).when(ok(E)).then([succeeded(), releasedEndpoint]);
    given(...deleting).when(failed(E, "DriverError")).then([failedWith("DriverError"), releasedEndpoint]);
  });

  it("takes a forced network delete on to the network's teardown once its last endpoint is deleted", () => {
    given(...bridge(addWeb, ok(E), { type: "network.delete", network: "front", force: true }))
      .when(ok(E))
      .then([
        succeeded(),
        releasedEndpoint,
        { type: "ipam.address.released", stream: N, data: expect.objectContaining({ role: "gateway" }) },
        { type: "ipam.pool.released", stream: N, data: expect.objectContaining({ pool }) },
        effect("bridge", "deleteNetwork", N),
      ]);
  });

  it("stops a forced network delete whose endpoint could not be deleted, and keeps the network", () => {
    given(...bridge(addWeb, ok(E), { type: "network.delete", network: "front", force: true }))
      .when(failed(E, "DriverError"))
      .then([
        failedWith("DriverError"),
        releasedEndpoint,
        { type: "network.deleteAborted", stream: N, data: { id: N, error: { code: "DriverError", message: "the driver said no" } } },
      ]);
  });
});

describe("network connect, continued from its outcomes", () => {
  const connecting = (...more: Step[]) => bridge(sandbox(S, "c1", { key: null }), connect, ...more);

  it("joins the sandbox once CreateEndpoint has succeeded, marking the join as part of a connect", () => {
    given(...connecting())
      .when(ok(E))
      .then([
        succeeded(),
        { type: "endpoint.joined", stream: E, data: { id: E, sandbox: S, pending: true } },
        effect("bridge", "join", E, { sandboxId: S, connect: true }),
      ]);
  });

  it("leaves nothing behind when CreateEndpoint fails: the endpoint goes and its address is released", () => {
    given(...connecting())
      .when(failed(E, "DriverError"))
      .then([failedWith("DriverError"), releasedEndpoint, { type: "endpoint.deleted", stream: E, data: { id: E, pending: false, force: true } }]);
  });

  it("removes the endpoint, carrying the reason, when the sandbox was deleted before the join", () => {
    given(...connecting({ type: "sandbox.delete", sandbox: "c1" }))
      .when(ok(E))
      .then([
        succeeded(),
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: true } },
        effect("bridge", "deleteEndpoint", E, {}, {
          failure: { code: "Conflict", message: "sandbox 555555555555 was deleted before endpoint c1 could join it" },
        }),
      ]);
  });

  it("removes the endpoint when the join fails", () => {
    given(...connecting(ok(E)))
      .when(failed(E, "DriverError"))
      .then([failedWith("DriverError"), { type: "endpoint.deleted", stream: E, data: { id: E, pending: true } }, effect("bridge", "deleteEndpoint", E)]);
  });

  it("undoes a join that timed out before removing the endpoint: one call per resource at a time", () => {
    const timedOut = connecting(ok(E), failed(E, "Timeout"));
    expect(timedOut.at(-1)).toMatchObject({ type: "effect.requested", data: { op: "leave", inverse: true } });
    given(...timedOut)
      .when(ok(E))
      .then([succeeded(), { type: "endpoint.deleted", stream: E, data: { id: E, pending: true } }, effect("bridge", "deleteEndpoint", E)]);
  });
});

describe("a sandbox delete, continued from its endpoints' Leave", () => {
  const joined = (...more: Step[]) => bridge(sandbox(S, "c1"), connect, ok(E), ok(E), { type: "sandbox.delete", sandbox: "c1" }, ...more);

  it("deletes the endpoint once it has left, and the namespace once no endpoint is joined", () => {
    given(...joined())
      .when(ok(E))
      .then([
        succeeded(),
        { type: "endpoint.deleted", stream: E, data: { id: E, pending: true } },
        effect("bridge", "deleteEndpoint", E),
        effect("netns", "deleteSandbox", S, { sandboxId: S }),
      ]);
  });

  it("stops the sandbox delete when an endpoint could not leave", () => {
    given(...joined())
      .when(failed(E, "DriverError"))
      .then([failedWith("DriverError"), { type: "sandbox.deleteAborted", stream: S, data: { id: S, error: { code: "DriverError", message: "the driver said no" } } }]);
  });
});
