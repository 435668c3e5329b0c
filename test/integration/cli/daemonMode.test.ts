import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpApi } from "../../../src/daemon/client.js";
import { cli } from "../../helpers/cli.js";
import { daemonEnv, startDaemon, stopDaemon, type TestDaemon, viaDaemon } from "../../helpers/daemon.js";
import { tempDir } from "../../helpers/tmp.js";

const started: TestDaemon[] = [];
afterEach(async () => {
  for (const d of started.splice(0)) await stopDaemon(d);
});

/** Times and hashes differ between two logs of the same commands; everything else must not. */
const masked = (s: string) =>
  s
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z/g, "<time>")
    .replace(/"(hash|stateHash)": ?"[0-9a-f]{64}"/g, '"$1":"<hash>"')
    .replace(/\b(\d+):[0-9a-f]{64}\b/g, "$1:<hash>")
    .replace(/state hash [0-9a-f]{64}/g, "state hash <hash>");

/** The same session of commands, with request ids so that both logs name the same entities. */
const session: string[][] = [
  ["--request-id", "r1", "network", "create", "-d", "null", "--label", "team=blue", "-o", "mtu=1400", "n1"],
  ["--request-id", "r2", "network", "create", "-d", "null", "n2"],
  ["--request-id", "r3", "endpoint", "create", "--alias", "web", "-p", "8080:80", "n1", "e1"],
  ["--request-id", "r4", "sandbox", "create", "--host-netns", "--hostname", "h1", "--dns", "10.0.0.53", "c1"],
  ["--request-id", "r5", "sandbox", "create", "--host-netns", "c2"],
  ["--json", "--request-id", "r6", "endpoint", "join", "n1", "e1", "c1"],
  ["--json", "--request-id", "r7", "network", "connect", "n2", "c2"],
  ["--request-id", "r3", "endpoint", "create", "--alias", "web", "-p", "8080:80", "n1", "e1"],
  ["network", "ls"],
  ["--json", "network", "ls"],
  ["network", "inspect", "n1", "n2"],
  ["endpoint", "ls"],
  ["endpoint", "ls", "--network", "n2"],
  ["endpoint", "inspect", "n1", "e1"],
  ["sandbox", "ls"],
  ["--json", "sandbox", "inspect", "c1"],
  ["drivers", "ls"],
  ["network", "rm", "n1"],
  ["--json", "network", "rm", "n1"],
  ["endpoint", "create", "nosuch", "e9"],
  ["--json", "endpoint", "join", "n1", "e1", "c1"],
  ["--request-id", "r3", "network", "create", "-d", "null", "other"],
  ["endpoint", "create", "-p", "80:http", "n1", "e9"],
  ["--json", "endpoint", "create", "--ip", "10.0.0.1", "nosuch", "e9"],
  ["log"],
  ["--json", "log", "--stream", "n1"],
  ["--json", "log", "--type", "network", "--since", "2"],
  ["replay", "--until", "4"],
  ["--json", "replay"],
  ["head"],
  ["verify"],
  ["--json", "verify"],
  ["--request-id", "r8", "endpoint", "leave", "n1", "e1", "c1"],
  ["--request-id", "r9", "endpoint", "rm", "n1", "e1"],
  ["--request-id", "r10", "network", "disconnect", "n2", "c2"],
  ["--json", "--request-id", "r11", "network", "rm", "n1", "n2", "nosuch"],
  ["--request-id", "r12", "sandbox", "rm", "c1"],
  ["recover"],
  ["snapshot"],
  ["--json", "replay"],
];

describe("the CLI through a daemon", () => {
  it("prints the same, exits the same and records the same as when it opens the database itself", async () => {
    const dir = tempDir();
    const localDb = join(dir, "local.db");
    const daemonDb = join(dir, "daemon.db");
    const d = await startDaemon(daemonDb);
    started.push(d);
    for (const args of session) {
      const local = await cli(["--db", localDb, ...args], { NETLEDGER_HOST: "" });
      const remote = await cli(args, { NETLEDGER_HOST: d.host });
      const what = args.join(" ");
      expect(masked(remote.stdout), what).toBe(masked(local.stdout));
      expect(masked(remote.stderr), what).toBe(masked(local.stderr));
      expect(remote.code, what).toBe(local.code);
    }
    // Every write went to the daemon's database, none to a file the CLI opened.
    const api = new HttpApi({ host: d.host });
    try {
      const health = await api.health();
      expect(health.db).toBe(daemonDb);
      const local = await cli(["--db", localDb, "head"], { NETLEDGER_HOST: "" });
      expect(`${health.head.seq}:`).toBe(local.stdout.split(":")[0] + ":");
      expect(health.stats.commands).toBeGreaterThan(10);
    } finally {
      await api.close();
    }
  });

  it("refuses --db naming another file than the daemon's, so a command never lands in the wrong log", async () => {
    const dir = tempDir();
    const d = await startDaemon(join(dir, "a.db"));
    started.push(d);
    const r = await cli(["--db", join(dir, "b.db"), "network", "ls"], { NETLEDGER_HOST: d.host });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^netledger: this daemon serves the database .*a\.db, not .*b\.db/);
    const same = await cli(["--db", join(dir, "a.db"), "--json", "network", "ls"], { NETLEDGER_HOST: d.host });
    expect(same.stdout).toBe("[]\n");
  });

  it("says plainly when the daemon named cannot be reached", async () => {
    const socket = join(tempDir(), "none.sock");
    const r = await cli(["network", "ls"], { NETLEDGER_HOST: `unix://${socket}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`netledger: cannot reach the netledger daemon at unix://${socket}: no daemon is listening there\n`);
  });

  it.skipIf(!viaDaemon)("under NETLEDGER_TEST_VIA_DAEMON=1, sends the test suite's commands through a daemon on their database", async () => {
    const db = join(tempDir(), "n.db");
    for (const n of ["n1", "n2", "n3"]) expect((await cli(["--db", db, "network", "create", "-d", "null", n])).code).toBe(0);
    const env = await daemonEnv(["--db", db]);
    expect(env["NETLEDGER_HOST"]).toMatch(/^unix:\/\//);
    const api = new HttpApi({ host: env["NETLEDGER_HOST"]! });
    try {
      const health = await api.health();
      expect(health.db).toBe(db);
      // The first create made the file; the daemon started then and carried the other two.
      expect(health.stats.commands).toBe(2);
    } finally {
      await api.close();
    }
  });
});
