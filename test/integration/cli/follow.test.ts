import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

interface Follower {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves when the output matches, with the time it first did (ms since the epoch). */
  waitFor: (re: RegExp) => Promise<number>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcessWithoutNullStreams[] = [];

/** `netledger log --follow` in a process of its own. */
function follow(db: string, ...args: string[]): Follower {
  const child = spawn(process.execPath, [cliPath, "--db", db, "log", "--follow", ...args], { env: { ...process.env, NO_COLOR: "1" } });
  running.push(child);
  let out = "";
  let err = "";
  const watchers: { re: RegExp; resolve: (t: number) => void; reject: (e: Error) => void }[] = [];
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    const now = Date.now();
    for (const w of [...watchers]) if (w.re.test(out)) (watchers.splice(watchers.indexOf(w), 1), w.resolve(now));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      // Whatever was still awaited will never come.
      for (const w of watchers.splice(0)) w.reject(new Error(`the follower exited (${code ?? signal}) before printing ${w.re}: ${err}${out}`));
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    waitFor: (re) => (re.test(out) ? Promise.resolve(Date.now()) : new Promise((resolve, reject) => watchers.push({ re, resolve, reject }))),
    exit,
  };
}

afterEach(() => {
  // A follower a failed test left running is ended (by its own pid).
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

describe("netledger log --follow", () => {
  it("prints, as JSON lines, the events a second process appends, and exits 0 on SIGINT", async () => {
    const db = tempDb();
    expect((await runCli(["--db", db, "network", "create", "-d", "null", "before"])).code).toBe(0);

    const f = follow(db, "--json");
    await f.waitFor(/"name":"before"/); // what was there is printed first: the follower is now waiting

    const appended = await runCli(["--db", db, "--actor", "second-process", "network", "create", "-d", "null", "after"]);
    expect(appended.code).toBe(0);
    // The appending process has exited: its commit is durable, and the follower must print it (in a
    // bounded wait, not a timed assertion: a loaded machine may take longer than the 100 ms poll).
    await f.waitFor(/"name":"after"/);

    const lines = f.output().trim().split("\n").map((l) => JSON.parse(l) as { seq: number; type: string; meta: { actor: string } });
    expect(lines.map((e) => [e.seq, e.type])).toEqual([
      [1, "network.created"],
      [2, "network.created"],
    ]);
    expect(lines[1]!.meta.actor).toBe("second-process");

    f.child.kill("SIGINT");
    expect(await f.exit).toEqual({ code: 0, signal: null });
  });

  it("keeps its filter while following, in the table for people", async () => {
    const db = tempDb();
    await runCli(["--db", db, "network", "create", "-d", "null", "n1"]);
    const f = follow(db, "--type", "sandbox");
    await f.waitFor(/^SEQ +TIME +ACTOR +EVENT +ENTITY +ID +DETAIL\n/);

    await runCli(["--db", db, "network", "create", "-d", "null", "n2"]);
    await runCli(["--db", db, "sandbox", "create", "--host-netns", "c1"]);
    await f.waitFor(/sandbox\.created +sandbox c1 /);

    f.child.kill("SIGINT");
    expect((await f.exit).code).toBe(0);
    const rows = f.output().trim().split("\n").slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^ +3 +\S+Z +\S+ +sandbox\.created +sandbox c1 +[0-9a-f]{12} +host namespace$/);
  });
});
