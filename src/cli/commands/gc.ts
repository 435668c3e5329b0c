import type { Command } from "commander";
import { NetledgerError } from "../../domain/errors.js";
import { describeLeak } from "../render/leaks.js";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

export function registerGc(program: Command, cli: CliContext): void {
  program
    .command("gc")
    .description("remove links, namespaces, nftables rules and files that this database owns and its state no longer knows")
    .option("--dry-run", "only list what would be removed", false)
    .addHelpText("after", "\nExample:\n  netledger gc --dry-run\n")
    .action(async (o, cmd: Command) => {
      await cli.withLocalApi(cmd, "read", async (api, g) => {
        const r = await api.gc({ dryRun: o.dryRun });
        cli.print(
          g,
          r,
          () =>
            (r.found.length === 0
              ? "nothing to collect\n"
              : table(
                  ["KIND", "NAME", "WHERE", "WHY", ""],
                  r.found.map((x) => [x.kind, x.name, x.where ?? "", x.reason, r.dryRun ? "would remove" : "removed"]),
                )) + r.suspectedLeaks.map((l) => `${describeLeak(l)} (not removed by gc)\n`).join(""),
        );
        if (r.errors.length > 0) throw new NetledgerError("DriverError", `gc could not remove everything: ${r.errors.join("; ")}`);
      });
    });
}
