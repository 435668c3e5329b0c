import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Daemon } from "../../../src/daemon/server.js";
import { cliPath, type CliResult } from "../../helpers/cli.js";
import { tempDir } from "../../helpers/tmp.js";
import { spawn } from "node:child_process";

const isRoot = process.getuid?.() === 0;
/** A group id no account on the machine is likely to have: the socket's group in these tests. */
const socketGid = 47_311;

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

/** `netledger ARGS` run as the user nobody, with the given supplementary groups only. */
function asNobody(groups: number[], args: string[]): Promise<CliResult> {
  const ids = ["--reuid=nobody", "--regid=nogroup", groups.length ? `--groups=${groups.join(",")}` : "--clear-groups"];
  return new Promise((resolve, reject) => {
    const child = spawn("setpriv", [...ids, process.execPath, cliPath, ...args], {
      env: { PATH: process.env["PATH"], NO_COLOR: "1", HOME: "/nonexistent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(!isRoot)("the daemon's UNIX socket (needs root to switch users)", () => {
  it("is mode 0660 in its group, refuses a user outside the group and serves one in it", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755); // the directory is not what keeps nobody out: the socket's mode is
    const socket = join(dir, "d.sock");
    const d = await Daemon.start({ controller: { db: join(dir, "n.db") }, socket, group: String(socketGid) });
    daemons.push(d);
    await d.api.createNetwork({ name: "n1", driver: "null" });

    const st = statSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(socketGid);

    const refused = await asNobody([], ["--host", `unix://${socket}`, "network", "ls"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `netledger: cannot reach the netledger daemon at unix://${socket}: permission denied (the socket is for its group's members)\n`,
    );

    const member = await asNobody([socketGid], ["--host", `unix://${socket}`, "--json", "network", "ls"]);
    expect(member.stderr).toBe("");
    expect(member.code).toBe(0);
    expect(JSON.parse(member.stdout).map((n: { name: string }) => n.name)).toEqual(["n1"]);
  });
});
