import type { Command } from "commander";
import { invalid } from "../../domain/errors.js";
import type { StoredEvent } from "../../domain/events.js";
import { shortId } from "../../domain/ids.js";
import type { CliContext } from "../context.js";
import { table } from "../output.js";

/** An event as `log --json` prints it: one object per line (interface.md §3). */
export function eventJson(e: StoredEvent): string {
  return JSON.stringify({ seq: e.seq, type: e.type, stream: e.stream, version: e.version, data: e.data, meta: e.meta, hash: e.hash });
}

export function seqBound(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw invalid(`${flag} takes a seq (a whole number), not "${v}"`);
  return Number(v);
}

export function registerLog(program: Command, cli: CliContext): void {
  program
    .command("log")
    .description("the audit trail: events in order (with --json, one per line)")
    .option("--since <seq>", "from this seq (inclusive)")
    .option("--until <seq>", "up to this seq (inclusive)")
    .option("--stream <entity>", "only events of this entity (name or id)")
    .option("--type <type>", "only this event type, or a family such as `endpoint`")
    .option("--actor <actor>", "only events by this actor")
    .option("-f, --follow", "keep going: print events as they are appended, until interrupted", false)
    .addHelpText("after", "\nExample:\n  netledger log --type endpoint --json\n")
    .action(async (o, cmd: Command) => {
      await cli.withApi(cmd, "read", async (api, g) => {
        const stop = new AbortController();
        const interrupt = () => stop.abort();
        if (o.follow) for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, interrupt);
        const events = api.events({
          ...(o.since !== undefined ? { since: seqBound("--since", o.since)! } : {}),
          ...(o.until !== undefined ? { until: seqBound("--until", o.until)! } : {}),
          ...(o.stream !== undefined ? { stream: o.stream as string } : {}),
          ...(o.type !== undefined ? { type: o.type as string } : {}),
          ...(o.actor !== undefined ? { actor: o.actor as string } : {}),
          follow: o.follow,
          signal: stop.signal,
        });
        const row = (e: StoredEvent) => [e.seq, e.meta.time, e.meta.actor, e.type, shortId(e.stream)];
        try {
          if (g.json) for await (const e of events) cli.io.out(eventJson(e) + "\n");
          else if (o.follow) for await (const e of events) cli.io.out(row(e).join("   ") + "\n");
          else {
            const rows: (string | number)[][] = [];
            for await (const e of events) rows.push(row(e));
            cli.io.out(table(["SEQ", "TIME", "ACTOR", "TYPE", "ENTITY"], rows));
          }
        } finally {
          for (const sig of ["SIGINT", "SIGTERM"] as const) process.off(sig, interrupt);
        }
      });
    });
}
