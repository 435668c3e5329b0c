import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

export function registerDrivers(program: Command, cli: CliContext): void {
  const drivers = program
    .command("drivers")
    .description("network drivers")
    .addHelpText("after", "\nExample:\n  netledger drivers ls\n");
  drivers
    .command("ls")
    .alias("list")
    .description("registered drivers, built-in and plugin, with their scope")
    .addHelpText("after", "\nExample:\n  netledger drivers ls\n")
    .action(async (_o, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const list = await api.drivers();
        cli.print(g, list, () => table(["NAME", "SCOPE", "CONNECTIVITY", "ORIGIN"], list.map((d) => [d.name, d.scope, d.connectivityScope, d.origin])));
      });
    });
}
