import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cliPath } from "../../helpers/cli.js";
import { cleanupKernel, databaseIdOf, isRoot, needsRoot, teardownEach } from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();
const exec = promisify(execFile);

/**
 * Issue 14, point 8: links are looked up in the caller's network namespace. Inside `unshare -n` (a new
 * network namespace, sysfs not remounted) /sys/class/net still lists the links of the namespace whose
 * process mounted sysfs, so a driver that asked sysfs would not find the bridge it had just made there.
 * The whole life of a bridge endpoint runs in one such namespace, which goes when the shell exits.
 */
describe.skipIf(!isRoot)(`the kernel drivers in the caller's network namespace (${needsRoot})`, () => {
  it("joins a bridge endpoint to a sandbox from inside `unshare -n`, leaves it and removes everything", async () => {
    const db = tempDb();
    const runDir = tempDir("netledger-run-");
    teardown(() => {
      try {
        cleanupKernel(databaseIdOf(db), runDir);
      } catch {
        cleanupKernel("none", runDir); // no database was made: only the run directory's namespaces
      }
    });
    const nl = `"${process.execPath}" "${cliPath}" --db "${db}"`;
    // Each step in the same namespace; `ip` run by the shell is the reference for what is there.
    const script = [
      "set -e",
      `${nl} network create -d bridge --subnet 10.231.5.0/24 unsh >/dev/null`,
      `SB=$(${nl} sandbox create c1)`,
      `${nl} endpoint create unsh e1 >/dev/null`,
      `${nl} endpoint join unsh e1 c1`,
      `echo "--- inside"`,
      `nsenter --net="${runDir}/netns/$SB" -- ip -4 -o addr show dev eth0`,
      `echo "--- bridge"`,
      `ip -o link show type bridge`,
      `${nl} endpoint leave unsh e1 c1`,
      `echo "--- after leave"`,
      `nsenter --net="${runDir}/netns/$SB" -- ip -o link show`,
      `${nl} endpoint rm unsh e1`,
      `${nl} sandbox rm c1`,
      `${nl} network rm unsh`,
      `echo "--- gc"`,
      `${nl} --json gc --dry-run`,
      `echo "--- host links"`,
      `ip -o link show`,
    ].join("\n");
    const { stdout } = await exec("unshare", ["-n", "sh", "-c", script], {
      env: { ...process.env, NO_COLOR: "1", NETLEDGER_RUN_DIR: runDir },
      encoding: "utf8",
    });
    const part = (name: string) => stdout.split(`--- ${name}\n`)[1]!.split("\n--- ")[0]!;
    expect(part("inside")).toMatch(/eth0\s+inet 10\.231\.5\.2\/24/);
    expect(part("bridge")).toContain("nl-");
    expect(part("after leave")).toContain("lo:");
    expect(part("after leave")).not.toContain("eth0");
    expect(JSON.parse(part("gc"))).toMatchObject({ found: [] });
    expect(part("host links")).not.toMatch(/nl-|nlv/);
  });
});
