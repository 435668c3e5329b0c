import type { Command } from "commander";
import type { EntityKind, LoggedEntity } from "../../controller/entities.js";
import type { Ledger } from "../../controller/ledger.js";
import { isNetledgerError, NetledgerError, notFound } from "../../domain/errors.js";
import { isId, isIdPrefix } from "../../domain/ids.js";
import type { CliContext } from "../context.js";
import { entityRef, historyJson, historyText } from "../render/history.js";

function kindsText(kinds: readonly EntityKind[]): string {
  return kinds.length === 3 ? "network, endpoint or sandbox" : kinds.join(" or ");
}

/** The entities a reference names through the log, or NotFound saying what was looked for. */
export function findInLog(ledger: Ledger, ref: string, kinds: readonly EntityKind[]): LoggedEntity[] {
  const found = ledger.entities.find(ref, kinds);
  if (found.length === 0) throw notFound(`no ${kindsText(kinds)} "${ref}" has ever been in the log`);
  return found;
}

/** An endpoint by network and name (or id) through the log: every endpoint that held the name there. */
export function findEndpointInLog(ledger: Ledger, networkRef: string, ref: string): LoggedEntity[] {
  const nets = findInLog(ledger, networkRef, ["network"]);
  const found = nets.flatMap((n) =>
    isId(ref) || isIdPrefix(ref)
      ? ledger.entities.find(ref, ["endpoint"]).filter((e) => e.network?.id === n.id)
      : ledger.entities.endpointsNamed(n.id, ref),
  );
  if (found.length === 0) throw notFound(`no endpoint "${ref}" has ever been in network "${networkRef}"`);
  return found;
}

/**
 * Why an entity that the state does not have is not found, when the log knows it was deleted: what it
 * was, when it went, and where its history is. Empty when the log never had it.
 */
function deletedHint(ledger: Ledger, ref: string, kinds: readonly EntityKind[], command: string): string {
  const log = ledger.log;
  let found: LoggedEntity[];
  try {
    found = ledger.entities.find(ref, kinds);
  } catch {
    return "";
  }
  if (found.length === 0) return "";
  const gone = found.map((e) => `${entityRef(e)} was deleted at seq ${log.lastSeqOf(e.id) ?? e.createdSeq}`).join("; ");
  return `: ${gone}; "netledger ${command} --history ${ref}" shows its history`;
}

/** What the log knows of a ref the state does not have (deleted when, where its history is), or "". */
export function deletedHintFor(cli: CliContext, cmd: Command, ref: string, kinds: readonly EntityKind[], command: string): Promise<string> {
  return cli.withLedger(cmd, (l) => deletedHint(l, ref, kinds, command)).catch(() => "");
}

/** Prints the histories of entities: a heading and the events of each (JSON: an array of histories). */
export async function printHistories(cli: CliContext, cmd: Command, find: (ledger: Ledger) => LoggedEntity[]): Promise<void> {
  await cli.withLedger(cmd, (ledger, g) => {
    const histories = ledger.histories(find(ledger));
    cli.print(g, histories.map(historyJson), () => historyText(histories, ledger.entities, cli.style));
  });
}

export function registerInspect(program: Command, cli: CliContext): void {
  program
    .command("inspect")
    .description("find any network, endpoint or sandbox by name or id and show it (with --history, its events)")
    .argument("<ref...>", "a name, NETWORK/ENDPOINT, a container id, an id or an id prefix")
    .option("--history", "show each entity's history from the log, deleted entities included", false)
    .addHelpText(
      "after",
      `
Examples:
  netledger inspect web-net
  netledger inspect --history web-net/web-1
`,
    )
    .action(async (refs: string[], o: { history: boolean }, cmd: Command) => {
      const find = (ledger: Ledger) => refs.flatMap((r) => findInLog(ledger, r, ["network", "endpoint", "sandbox"]));
      if (o.history) return printHistories(cli, cmd, find);
      await cli.withLedger(cmd, (ledger, g) => {
        const histories = ledger.histories(find(ledger));
        const live = histories.filter((h) => h.current !== null);
        if (live.length === 0) {
          const gone = histories.map((h) => `${entityRef(h)} was deleted at seq ${h.lastSeq}`).join("; ");
          throw notFound(`${gone}; "netledger inspect --history ${refs.join(" ")}" shows what happened to it`);
        }
        const views = live.map((h) => ({ kind: h.kind, ...h.current }));
        cli.print(g, views, () => JSON.stringify(views, null, 2) + "\n");
      });
    });
}
