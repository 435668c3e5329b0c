import { describe, expect, it } from "vitest";
import { type EndpointLifecycle, endpointMachine } from "../../../../src/domain/machines/endpoint.js";
import { networkMachine } from "../../../../src/domain/machines/network.js";
import { sandboxMachine } from "../../../../src/domain/machines/sandbox.js";
import { canStep, IllegalTransition, isFinal, step } from "../../../../src/domain/machines/step.js";

describe("lifecycles as pure transition functions", () => {
  it("walk an endpoint through create, join, leave and delete", () => {
    let s: EndpointLifecycle | "none" = "none";
    for (const [ev, to] of [
      ["CREATE", "creating"],
      ["CREATE_OK", "created"],
      ["JOIN", "joining"],
      ["JOIN_OK", "joined"],
      ["LEAVE", "leaving"],
      ["LEAVE_OK", "created"],
      ["DELETE", "deleting"],
      ["DELETE_OK", "deleted"],
    ] as const) {
      s = step(endpointMachine, s, ev);
      expect(s).toBe(to);
    }
    expect(isFinal(endpointMachine, s)).toBe(true);
  });

  it("refuse an event a state does not accept, and nothing leaves a final state", () => {
    expect(canStep(endpointMachine, "created", "LEAVE")).toBe(false);
    expect(() => step(networkMachine, "creating", "DELETE")).toThrow(IllegalTransition);
    for (const m of [networkMachine, endpointMachine, sandboxMachine])
      for (const ev of ["CREATE", "DELETE", "DELETE_OK", "FORCE_REMOVE", "REPROGRAM"] as const) expect(canStep(m, "deleted", ev)).toBe(false);
  });

  it("go back to created when a join fails, and keep a joined endpoint joined when a leave fails", () => {
    expect(step(endpointMachine, "joining", "JOIN_FAILED")).toBe("created");
    expect(step(endpointMachine, "leaving", "LEAVE_FAILED")).toBe("joined");
    expect(step(networkMachine, "deleting", "DELETE_FAILED")).toBe("deleted");
  });
});
