import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

export function registerDrivers(program: Command, cli: CliContext): void {
  const drivers = program.command("drivers").description("network drivers");
  drivers
    .command("ls")
    .alias("list")
    .description("registered drivers, built-in and plugin, with their scope")
    .addHelpText("after", "\nExample:\n  netledger drivers ls\n")
    .action(async (_o, cmd: Command) => {
      await cli.withController(cmd, "read", async (c, g) => {
        // Plugins register on first use; activate every one discovery sees so that the list shows them.
        await c.registry.discoverAll();
        const list = c.registry.list().map((d) => ({
          name: d.name,
          scope: d.capability.dataScope,
          connectivityScope: d.capability.connectivityScope ?? d.capability.dataScope,
          origin: d.origin,
        }));
        cli.print(g, list, () => table(["NAME", "SCOPE", "CONNECTIVITY", "ORIGIN"], list.map((d) => [d.name, d.scope, d.connectivityScope, d.origin])));
      });
    });
}
