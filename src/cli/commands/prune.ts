import type { Command } from "commander";
import { parsePoint } from "../../controller/points.js";
import { invalid } from "../../domain/errors.js";
import type { NetworkView } from "../../domain/views.js";
import type { CliContext } from "../context.js";
import { labelMatches } from "../listing/list.js";
import { collect } from "../parse.js";

const warning = "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ";

/**
 * `network prune` as Docker's: removes every network with no endpoint, after asking (unless -f), with
 * `--filter until=TIME` (created before) and `--filter label=KEY[=VALUE]` / `label!=KEY[=VALUE]`.
 */
export function pruneFilter(filters: readonly string[], now: Date): (n: NetworkView) => boolean {
  const tests: ((n: NetworkView) => boolean)[] = [];
  for (const f of filters) {
    const m = /^(until|label!?)=(.*)$/.exec(f);
    if (!m) throw invalid(`invalid filter "${f}": network prune takes until=TIME, label=KEY[=VALUE] or label!=KEY[=VALUE]`);
    const key = m[1]!;
    const value = m[2]!;
    if (key === "until") {
      const p = parsePoint("--filter until", value, now);
      if (p.kind !== "time") throw invalid(`--filter until takes a time (2024-05-01T10:00:00Z) or a time ago (10m, 24h), not "${value}"`);
      tests.push((n) => n.createdAt < p.time);
    } else if (key === "label") tests.push((n) => labelMatches(n.labels, value));
    else tests.push((n) => !labelMatches(n.labels, value));
  }
  return (n) => tests.every((t) => t(n));
}

export function registerNetworkPrune(network: Command, cli: CliContext): void {
  network
    .command("prune")
    .description("remove all networks that have no endpoints (asks first, unless --force)")
    .option("-f, --force", "do not ask for confirmation", false)
    .option("--filter <filter>", "only networks created before a time (until=24h) or with a label (label=KEY[=VALUE], label!=…) (repeatable)", collect, [])
    .addHelpText("after", "\nExamples:\n  netledger network prune -f\n  netledger network prune --filter until=24h --filter label=team=web\n")
    .action(async (o: { force: boolean; filter: string[] }, cmd: Command) => {
      const keep = pruneFilter(o.filter, cli.now());
      if (!o.force) {
        const answer = await cli.ask(warning);
        if (!/^y(es)?$/i.test(answer.trim())) return;
      }
      await cli.withApi(cmd, "write", async (api, g) => {
        const unused = (await api.networks()).filter((n) => n.endpoints.length === 0 && keep(n));
        const deleted: string[] = [];
        for (const n of unused) {
          await api.deleteNetwork(n.id, false, cli.commandOptions(g));
          deleted.push(n.name);
        }
        cli.print(g, { deleted }, () => (deleted.length > 0 ? `Deleted Networks:\n${deleted.map((d) => d + "\n").join("")}` : ""));
      });
    });
}
