import { describe, expect, it } from "vitest";
import { type CommandType, commandSchemas } from "../../../../src/domain/commands.js";
import { decide } from "../../../../src/domain/decide/index.js";
import { type CommandInput, command, context, given, hex, history } from "../../../helpers/decider.js";

const N = hex("1");
const S = hex("5");

/** One command of each type on an empty log, and what its decider answers: its first event or its refusal. */
const routes: Record<CommandType, [CommandInput, string]> = {
  "driver.configure": [{ type: "driver.configure", driver: "bridge" }, "driver.configured"],
  "network.create": [{ type: "network.create", id: N, name: "front", driver: "null" }, "network.created"],
  "network.delete": [{ type: "network.delete", network: "front" }, `NotFound: network "front" not found`],
  "endpoint.create": [{ type: "endpoint.create", id: N, network: "front", name: "web" }, `NotFound: network "front" not found`],
  "endpoint.delete": [{ type: "endpoint.delete", network: "front", endpoint: "web" }, `NotFound: network "front" not found`],
  "endpoint.join": [{ type: "endpoint.join", network: "front", endpoint: "web", sandbox: "c1" }, `NotFound: network "front" not found`],
  "endpoint.leave": [{ type: "endpoint.leave", network: "front", endpoint: "web", sandbox: "c1" }, `NotFound: network "front" not found`],
  "network.connect": [{ type: "network.connect", id: N, network: "front", sandbox: "c1" }, `NotFound: network "front" not found`],
  "network.disconnect": [{ type: "network.disconnect", network: "front", sandbox: "c1" }, `NotFound: network "front" not found`],
  "sandbox.create": [{ type: "sandbox.create", id: S, containerId: "c1" }, "sandbox.created"],
  "sandbox.delete": [{ type: "sandbox.delete", sandbox: "c1" }, `NotFound: sandbox "c1" not found`],
  "kernel.reprogram": [{ type: "kernel.reprogram" }, "nothing"],
  "effect.outcome": [{ type: "effect.outcome", effect: 1, attempt: 1, ok: true, result: null }, "Conflict: effect 1 is not open: its outcome is already recorded"],
  "effect.retry": [{ type: "effect.retry", effect: 1, seen: 1 }, "Conflict: effect 1 is not open: its outcome is already recorded"],
  "effect.unsent": [
    { type: "effect.unsent", effect: 1, attempt: 1, error: { code: "PluginUnavailable", message: "down" } },
    "Conflict: effect 1 is not open: its outcome is already recorded",
  ],
  "host.boot": [{ type: "host.boot" }, "host.booted"],
};

function answer(input: CommandInput): string {
  const w = given().when(input);
  try {
    return w.events[0]?.type ?? "nothing";
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
}

describe("decide: one entry point for every command", () => {
  it("routes each command type to its decider", () => {
    expect(Object.keys(routes).sort()).toEqual(Object.keys(commandSchemas).sort());
    for (const [type, [input, expected]] of Object.entries(routes)) expect(answer(input), type).toBe(expected);
  });

  it("records a driver's configuration as it is given", () => {
    const { state } = given()
      .when({ type: "driver.configure", driver: "bridge", options: { mtu: 1400 } })
      .then([{ type: "driver.configured", stream: "driver:bridge", data: { driver: "bridge", options: { mtu: 1400 } } }]);
    expect(state.drivers).toEqual({ bridge: { options: { mtu: 1400 } } });
  });

  it("names the entity a command is about, for its result view", () => {
    const s = given(...history({ type: "network.create", id: N, name: "front", driver: "null" })).state;
    expect(decide(s, command({ type: "sandbox.create", id: S, containerId: "c1" }), context).entity).toEqual({ kind: "sandbox", id: S });
    expect(decide(s, command({ type: "network.delete", network: "front" }), context).entity).toEqual({ kind: "network", id: N });
    expect(decide(s, command({ type: "kernel.reprogram" }), context).entity).toBeUndefined();
  });

  it("is pure: the same state, command and context decide the same events, and the state is left as it was", () => {
    const g = given(...history({ type: "network.create", id: N, name: "front", driver: "bridge" }));
    const before = JSON.stringify(g.state);
    const cmd = { type: "effect.outcome", effect: 4, attempt: 1, ok: false, error: { code: "Timeout", message: "x" } } as const;
    expect(g.when(cmd).events).toEqual(g.when(cmd).events);
    expect(JSON.stringify(g.state)).toBe(before);
  });
});
