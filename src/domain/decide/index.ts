import type { Command } from "../commands.js";
import type { State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { connect, createEndpoint, deleteEndpoint, disconnect, join, leave } from "./endpoint.js";
import { decideBoot } from "./host.js";
import { createNetwork, deleteNetwork } from "./network.js";
import { decideOutcome, decideRetry, decideUnsent } from "./outcome.js";
import { reprogram } from "./reprogram.js";
import { createSandbox, deleteSandbox } from "./sandbox.js";

export type { DecideContext, DriverInfo, IpamDriverInfo } from "./context.js";
export { sandboxDriver } from "./context.js";

/**
 * decide(state, command, ctx) → events. Pure: it reads only its arguments, and a refusal is a thrown
 * NetledgerError before anything is written.
 */
export function decide(s: State, cmd: Command, ctx: DecideContext): Decision {
  switch (cmd.type) {
    case "driver.configure":
      return {
        events: [{ type: "driver.configured", stream: `driver:${cmd.driver}`, data: { driver: cmd.driver, options: cmd.options } }],
      };
    case "network.create":
      return createNetwork(s, cmd, ctx);
    case "network.delete":
      return deleteNetwork(s, cmd, ctx);
    case "endpoint.create":
      return createEndpoint(s, cmd, ctx);
    case "endpoint.delete":
      return deleteEndpoint(s, cmd, ctx);
    case "endpoint.join":
      return join(s, cmd, ctx);
    case "endpoint.leave":
      return leave(s, cmd, ctx);
    case "network.connect":
      return connect(s, cmd, ctx);
    case "network.disconnect":
      return disconnect(s, cmd, ctx);
    case "sandbox.create":
      return createSandbox(s, cmd, ctx);
    case "sandbox.delete":
      return deleteSandbox(s, cmd, ctx);
    case "kernel.reprogram":
      return reprogram(s, cmd, ctx);
    case "effect.outcome":
      return decideOutcome(s, cmd, ctx);
    case "effect.retry":
      return decideRetry(s, cmd, ctx);
    case "effect.unsent":
      return decideUnsent(s, cmd);
    case "host.boot":
      return decideBoot(s, cmd, ctx);
  }
}
