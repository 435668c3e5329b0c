import type { Command } from "commander";
import type { Ledger } from "../../controller/ledger.js";
import { parsePoint, stateSeq } from "../../controller/points.js";
import { invalid } from "../../domain/errors.js";
import { topologyOf } from "../../domain/topology.js";
import type { CliContext } from "../context.js";
import { diffText } from "../render/diff.js";
import { stateText, ViewNames } from "../render/state.js";
import { topologyDot, topologyTree } from "../render/topology.js";
import { pointHelp } from "./log.js";

/** The seq a `--until`/FROM/TO point names, checked against the log (default: the head). */
function pointSeq(cli: CliContext, ledger: Ledger, what: string, text: string | undefined): number {
  return text === undefined ? ledger.head().seq : stateSeq(ledger.log, what, parsePoint(what, text, cli.now()));
}

export function registerReplay(program: Command, cli: CliContext): void {
  program
    .command("replay")
    .description("the whole state as of a point in the log, rebuilt from the events")
    .option("--until <point>", `the last event to fold (default: the head): ${pointHelp}`)
    .addHelpText(
      "after",
      `
Examples:
  netledger replay --until 120
  netledger replay --until 2024-05-01T09:30:00Z --json
`,
    )
    .action(async (o: { until?: string }, cmd: Command) => {
      await cli.withLedger(cmd, (ledger, g) => {
        const seq = pointSeq(cli, ledger, "--until", o.until);
        const v = cli.withProgress("replay", (onProgress) => ledger.viewAt(seq, onProgress));
        cli.print(g, v, () => stateText(v, ledger.timeAt(seq), cli.style));
      });
    });

  program
    .command("diff")
    .description("what changed between two points of the log: entities added, removed, and changed field by field")
    .argument("<from>", pointHelp)
    .argument("[to]", "the later point (default: head)")
    .addHelpText(
      "after",
      `
Examples:
  netledger diff 40 55
  netledger diff 1h head --json
`,
    )
    .action(async (fromText: string, toText: string | undefined, _o, cmd: Command) => {
      await cli.withLedger(cmd, (ledger, g) => {
        const from = pointSeq(cli, ledger, "FROM", fromText);
        const to = pointSeq(cli, ledger, "TO", toText);
        if (from > to) throw invalid(`FROM (seq ${from}) is after TO (seq ${to}): give the earlier point first`);
        const { before, after, diff } = cli.withProgress("diff", (onProgress) => ledger.diff(from, to, onProgress));
        cli.print(g, { ...diff, events: to - from }, () =>
          diffText(diff, { from: ledger.timeAt(from), to: ledger.timeAt(to) }, new ViewNames(before, after), cli.style),
        );
      });
    });

  program
    .command("topology")
    .description("networks, their endpoints (addresses, states) and the sandboxes they join, as a tree or Graphviz DOT")
    .option("--until <point>", `the state at this point (default: the head): ${pointHelp}`)
    .option("--dot", "print Graphviz DOT instead of a tree", false)
    .addHelpText(
      "after",
      `
Examples:
  netledger topology
  netledger topology --until 2h --dot | dot -Tsvg > topology.svg
`,
    )
    .action(async (o: { until?: string; dot: boolean }, cmd: Command) => {
      await cli.withLedger(cmd, (ledger, g) => {
        const seq = pointSeq(cli, ledger, "--until", o.until);
        const t = topologyOf(cli.withProgress("topology", (onProgress) => ledger.viewAt(seq, onProgress)));
        if (o.dot) cli.io.out(topologyDot(t));
        else cli.print(g, t, () => topologyTree(t, ledger.timeAt(seq), cli.style));
      });
    });
}
