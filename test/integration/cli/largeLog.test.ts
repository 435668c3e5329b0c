import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, runCliOnTerminal } from "../../helpers/cli.js";
import { buildLargeLog } from "../../helpers/logBuilder.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * A log of one million events, built once for the file (about ten seconds): verify and replay finish
 * on it, draw a progress bar when a person is watching (stderr a terminal: a pseudo-terminal made by
 * `script`), and draw none when piped. The terminal run and the piped run of each command go side by
 * side, one per core.
 */
const events = 1_000_000;
let db: string;
let head: { seq: number; hash: string };

beforeAll(() => {
  db = join(fileTempDir(), "large.db");
  head = buildLargeLog(db, events);
}, 600_000);

/** What cli-progress draws: the label, the bar between brackets, the percentage and the count. */
const bar = (label: string) => new RegExp(`${label} \\[[░█]+\\] \\d+% \\| [\\d]+/${events} events`);

describe(`a log of ${events.toLocaleString("en")} events`, () => {
  it("is verified, with a progress bar on a terminal and none when piped", async () => {
    const [tty, piped] = await Promise.all([
      runCliOnTerminal(["--db", db, "verify"], { NO_COLOR: "1" }),
      runCli(["--db", db, "verify"]),
    ]);
    const ok = `ok: ${events} events, 0 snapshots, head ${head.seq}:${head.hash}`;

    expect(tty.code).toBe(0);
    expect(tty.output).toMatch(bar("verify"));
    expect(tty.output).toContain(ok);

    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(ok + "\n");
    expect(piped.stderr).toBe("");
  }, 600_000);

  it("is replayed to its last state, with a progress bar on a terminal and none when piped", async () => {
    const [tty, piped] = await Promise.all([
      runCliOnTerminal(["--db", db, "replay"], { NO_COLOR: "1" }),
      runCli(["--db", db, "--json", "replay"]),
    ]);

    expect(tty.code).toBe(0);
    expect(tty.output).toMatch(bar("replay"));
    expect(tty.output).toMatch(/state at seq 1000000 \(2024-01-02T10:43:19Z\)/);

    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe("");
    // Every round deletes what it made: the state at the end is empty, as replay must find it.
    expect(JSON.parse(piped.stdout)).toEqual({ seq: events, networks: [], endpoints: [], sandboxes: [], effects: { pending: [], inDoubt: [] } });
  }, 600_000);

  it("finds an entity's events by its old name, and prints a long trail as it reads it", async () => {
    const [byName, trail] = await Promise.all([
      runCli(["--db", db, "--json", "log", "--stream", "net-124999"]),
      runCli(["--db", db, "log", "--until", "2500"]),
    ]);
    expect(byName.code).toBe(0);
    expect(byName.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { seq: number; type: string }).type)).toEqual(["network.created", "network.deleted"]);

    // Past the first thousand rows the widths are kept: every line's columns start where the header's do.
    expect(trail.code).toBe(0);
    const lines = trail.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2501);
    const entityColumn = lines[0]!.indexOf("ENTITY");
    expect(lines.every((l, i) => i === 0 || /^(network|sandbox|endpoint) /.test(l.slice(entityColumn)))).toBe(true);
  }, 600_000);
});
