import type { Command } from "commander";
import { qualifiedName } from "../../controller/entityName.js";
import type { Ledger } from "../../controller/ledger.js";
import { parsePoint, sinceSeq, untilSeq } from "../../controller/points.js";
import { invalid, notFound } from "../../domain/errors.js";
import { shortId } from "../../domain/ids.js";
import type { EventFilter } from "../../store/eventLog.js";
import type { CliContext } from "../context.js";
import type { LoggedEvent } from "../../store/eventLog.js";
import { eventJson, logColumns, logHeader, logLine } from "../render/events.js";

/** How many rows the log table's column widths are measured on. */
const widthSample = 1000;

export const pointHelp = "a seq, head, an ISO time (2024-05-01T10:00:00Z) or a time ago (30s, 10m, 2h, 3d)";

interface LogOptions {
  since?: string;
  until?: string;
  stream?: string;
  type?: string;
  actor?: string;
  follow?: boolean;
  last?: string;
}

/** A known event type or family, or one the log holds (written by a newer netledger): else a typo. */
async function checkType(ledger: Ledger, type: string): Promise<void> {
  const known = Object.keys((await import("../../domain/events.js")).eventSchemas);
  if (known.includes(type) || known.some((t) => t.startsWith(`${type}.`)) || ledger.log.hasType(type)) return;
  const families = [...new Set(known.map((t) => t.slice(0, t.indexOf("."))))];
  throw invalid(`no event type or family "${type}" in the log; families: ${families.join(", ")}; types: ${known.join(", ")}`);
}

export function registerLog(program: Command, cli: CliContext): void {
  program
    .command("log")
    .description("the audit trail: who did what, when, to which entity (with --json, one event per line)")
    .option("--since <point>", `from this point on (inclusive): ${pointHelp}`)
    .option("--until <point>", "up to this point (inclusive)")
    .option("--stream <entity>", "only the events of an entity: a name (a deleted one's too), NETWORK/ENDPOINT, or an id or id prefix")
    .option("--type <type>", "only this event type (endpoint.joined) or family (endpoint)")
    .option("--actor <actor>", "only the events recorded for this actor")
    .option("-n, --last <count>", "only the last COUNT matching events")
    .option("-f, --follow", "keep printing events as other processes append them, until interrupted (Ctrl-C)", false)
    .addHelpText(
      "after",
      `
Examples:
  netledger log --since 2h --type endpoint
  netledger log --stream web-net --json
  netledger log --follow --actor ci-runner
`,
    )
    .action(async (o: LogOptions, cmd: Command) => {
      // No database yet: no events, and nothing created (a --follow waits for none either).
      if (await cli.missingDatabase(cmd)) return;
      await cli.withLedger(cmd, async (ledger, g) => {
        const now = cli.now();
        const filter: EventFilter = {};
        if (o.since !== undefined) filter.since = sinceSeq(ledger.log, parsePoint("--since", o.since, now));
        if (o.until !== undefined) filter.until = untilSeq(ledger.log, parsePoint("--until", o.until, now));
        if (o.type !== undefined) {
          await checkType(ledger, o.type);
          filter.type = o.type;
        }
        // `log` records nothing, so the global --actor (who is acting) can only mean the filter here.
        const actor = o.actor ?? g.actor;
        if (actor !== undefined) filter.actor = actor;
        if (o.stream !== undefined) filter.stream = streamsOf(ledger, o.stream, (note) => (g.json ? undefined : cli.io.err(note)));
        let last: number | undefined;
        if (o.last !== undefined) {
          if (!/^\d+$/.test(o.last) || Number(o.last) === 0) throw invalid(`--last takes a count of events (a whole number above 0), not "${o.last}"`);
          last = Number(o.last);
        }

        const head = ledger.head().seq;
        const events = ledger.events({ ...filter, until: Math.min(filter.until ?? head, head) }, last);
        const names = ledger.entities;
        const style = cli.style;
        // The table's widths fit the first rows; a long trail (or a followed one) is printed as it is
        // read, with room for typical rows, so that it is never all held in memory.
        const first: LoggedEvent[] = [];
        // Taken with next(): leaving a for-of early would close the generator.
        for (let r = events.next(); !r.done; r = events.next()) if (first.push(r.value) === widthSample) break;
        const w = logColumns(first, names, first.length < widthSample && !o.follow ? {} : { seq: String(head).length + 2, actor: 8, type: 17, entity: 24 });
        const print = (e: LoggedEvent) => cli.io.out(g.json ? eventJson(e) + "\n" : logLine(e, w, names, style));
        if (!g.json) cli.io.out(logHeader(w, style));
        for (const e of first) print(e);
        let n = 0;
        for (const e of events) {
          print(e);
          // A pipe takes output as fast as its reader reads: wait for it rather than buffer the log.
          if (++n % 512 === 0) await cli.io.drain?.();
        }
        if (!o.follow) return;

        const { signal, release } = interruption(cli);
        try {
          await ledger.follow(filter, head, (more) => more.forEach(print), { signal });
        } finally {
          release();
        }
      });
    });
}

/**
 * The streams an entity reference names, found through the log: a name held by several entities over
 * time (a network deleted and made again) names all of them, and `note` says so.
 */
function streamsOf(ledger: Ledger, ref: string, note: (s: string) => void): string[] {
  if (ref.startsWith("driver:")) return [ref];
  const found = ledger.entities.find(ref);
  if (found.length === 0) {
    // A stream that is no entity's (a driver's, a newer netledger's) is still a stream.
    if (ledger.log.firstOf(ref)) return [ref];
    throw notFound(`no network, endpoint or sandbox named "${ref}" has ever been in the log, and no stream has that id`);
  }
  if (found.length > 1)
    note(
      `netledger: "${ref}" named ${found.length} entities over time; showing the events of all: ` +
        found.map((e) => `${e.kind} ${qualifiedName(e)} ${shortId(e.id)} (created at seq ${e.createdSeq})`).join(", ") +
        "\n",
    );
  return found.map((e) => e.id);
}

/** An abort signal for commands that run until interrupted: the Io's, or SIGINT (then exit 0). */
function interruption(cli: CliContext): { signal: AbortSignal; release: () => void } {
  if (cli.io.signal) return { signal: cli.io.signal, release: () => {} };
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once("SIGINT", onSigint);
  return { signal: ac.signal, release: () => process.removeListener("SIGINT", onSigint) };
}
