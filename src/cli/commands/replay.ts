import type { Command } from "commander";
import type { StateView } from "../../domain/views.js";
import { shortId } from "../../domain/ids.js";
import type { CliContext } from "../context.js";
import { seqBound } from "./log.js";

export function stateText(v: StateView): string {
  const lines = [`state at seq ${v.seq}`];
  lines.push(`networks (${v.networks.length}):`);
  for (const n of v.networks) lines.push(`  ${n.name} ${shortId(n.id)} driver=${n.driver} state=${n.state} endpoints=${n.endpoints.length}`);
  lines.push(`endpoints (${v.endpoints.length}):`);
  for (const e of v.endpoints)
    lines.push(
      `  ${e.name} ${shortId(e.id)} network=${shortId(e.network)} sandbox=${e.sandbox ? shortId(e.sandbox) : "-"} ipv4=${e.ipv4 ?? "-"} state=${e.state}`,
    );
  lines.push(`sandboxes (${v.sandboxes.length}):`);
  for (const s of v.sandboxes) lines.push(`  ${s.containerId} ${shortId(s.id)} key=${s.key ?? "(host)"} endpoints=${s.endpoints.length} state=${s.state}`);
  const open = v.effects.pending.length + v.effects.inDoubt.length;
  if (open > 0) lines.push(`effects: ${v.effects.pending.length} pending, ${v.effects.inDoubt.length} in doubt`);
  return lines.join("\n") + "\n";
}

export function registerReplay(program: Command, cli: CliContext): void {
  program
    .command("replay")
    .description("the whole state as of a point in the log, rebuilt from the events")
    .option("--until <seq>", "the last event to fold (default: all)")
    .addHelpText("after", "\nExample:\n  netledger replay --until 5 --json\n")
    .action(async (o, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const v = await api.state(seqBound("--until", o.until));
        cli.print(g, v, () => stateText(v));
      });
    });
}
