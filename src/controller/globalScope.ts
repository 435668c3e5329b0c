import type { Command } from "../domain/commands.js";
import type { DriverInfo } from "../domain/decide/index.js";
import { forbidden } from "../domain/errors.js";
import type { CommandOptions, CommandResult } from "./options.js";

/**
 * What makes a controller a node of a cluster (src/cluster/node.ts): commands on global-scope networks
 * are routed to it, decided against the cluster log first, and come back to the controller as mirrored
 * commands (`CommandOptions.mirror`) that record this node's own driver work in its local log. A
 * controller without one refuses to create a global-scope network: where would the others see it?
 */
export interface GlobalScope {
  /** This node's name (--node): the `node` of the endpoints it holds. */
  readonly name: string;
  /** Runs a global-scope command, or returns undefined when the command is not one (it runs locally). */
  route(cmd: Command, opts: CommandOptions): Promise<CommandResult | undefined>;
}

/** Without a cluster: a network of a global-scope driver is refused, saying what to do. */
export async function refuseGlobalCreate(cmd: Command, drivers: Readonly<Record<string, DriverInfo>>): Promise<undefined> {
  if (cmd.type !== "network.create" || drivers[cmd.driver]?.scope !== "global") return undefined;
  throw forbidden(
    `driver ${cmd.driver} has global scope: its networks live in the cluster log, and this process is not a node of a cluster; ` +
      `give --cluster URLS (or NETLEDGER_CLUSTER) naming the etcd members, or use a local-scope driver`,
  );
}
