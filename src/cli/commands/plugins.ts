import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

export function registerPlugins(program: Command, cli: CliContext): void {
  const plugins = program
    .command("plugins")
    .description("plugins found by discovery (Docker's v1 plugins)")
    .addHelpText("after", "\nExample:\n  netledger --plugin-dir /tmp/plugins plugins ls\n");
  plugins
    .command("ls")
    .alias("list")
    .description("discovered plugins: name, address, what they implement, scope; each is activated to ask")
    .addHelpText("after", "\nExample:\n  netledger --plugin-dir /tmp/plugins plugins ls\n")
    .action(async (_o, cmd: Command) => {
      // Needs no database: discovery and activation only.
      const g = cli.globals(cmd);
      const { pluginDirs, pluginTimeoutMs } = await cli.pluginOptions(g);
      const { listPlugins } = await import("../../api/plugins.js");
      const list = await listPlugins({ dirs: pluginDirs, ...(pluginTimeoutMs !== undefined ? { timeoutMs: pluginTimeoutMs } : {}) });
      cli.print(g, list, () =>
        table(
          ["NAME", "ADDRESS", "IMPLEMENTS", "SCOPE", "ERROR"],
          list.map((p) => [p.name, p.address, p.implements.join(","), p.scope ?? "", p.error ?? ""]),
        ),
      );
    });
}
