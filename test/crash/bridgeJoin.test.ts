import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliPath, runCli } from "../helpers/cli.js";
import { cleanupKernel, cliAt, databaseIdOf, isRoot, kernelReady, needsKernel, links, needsRoot, teardownEach } from "../helpers/kernel.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const teardown = teardownEach();


/** Runs the CLI until it reaches the halt point inside the bridge driver's Join, then SIGKILLs it there. */
async function killMidJoin(db: string, runDir: string, args: string[]): Promise<void> {
  const marker = join(runDir, "halted");
  const child = spawn(process.execPath, [cliPath, "--db", db, ...args], {
    env: { ...process.env, NETLEDGER_RUN_DIR: runDir, NETLEDGER_TEST_HALT: `bridge.join:${marker}` },
    stdio: "ignore",
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    for (let i = 0; i < 3000 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(marker), "the CLI never reached the join").toBe(true);
    expect(Number(readFileSync(marker, "utf8"))).toBe(child.pid);
  } finally {
    process.kill(child.pid!, "SIGKILL");
    await exited;
  }
}

describe.skipIf(!kernelReady)(`SIGKILL in the middle of a bridge join (${needsKernel})`, () => {
  it("leaves an in-doubt join that recover finishes, after which the kernel matches the log and gc finds nothing", async () => {
    const db = tempDb();
    const runDir = tempDir("netledger-run-");
    const nl = cliAt(db, runDir);
    const netId = (await nl("network", "create", "front")).trim();
    teardown(() => cleanupKernel(databaseIdOf(db), runDir));
    const sbId = (await nl("sandbox", "create", "c1")).trim();
    const epId = JSON.parse(await nl("endpoint", "create", "front", "e1", "--json")).id as string;
    const key = join(runDir, "netns", sbId);

    await killMidJoin(db, runDir, ["endpoint", "join", "front", "e1", "c1"]);
    // Half done: the veth is made, its sandbox end not yet configured; the log has the intent only.
    expect(links(key).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
    expect(links(key).find((l) => l.ifname === "eth0")?.flags).not.toContain("UP");
    const mid = JSON.parse(await nl("replay", "--json"));
    expect(mid.endpoints[0]).toMatchObject({ id: epId, state: "joining" });
    expect([...mid.effects.pending, ...mid.effects.inDoubt]).toEqual([expect.objectContaining({ op: "join", resource: epId })]);

    await nl("recover");
    // The in-doubt join was taken over by a new attempt (its in-doubt policy: leave, then join again) and succeeded.
    const log = (await nl("log", "--stream", epId, "--json")).trim().split("\n").map((l) => JSON.parse(l));
    const intent = log.find((e) => e.type === "effect.requested" && e.data.op === "join");
    expect(log.filter((e) => e.data.effect === intent.seq).map((e) => e.type)).toEqual(["effect.attempted", "effect.succeeded"]);

    expect(JSON.parse(await nl("endpoint", "inspect", "front", "e1", "--json"))).toMatchObject({ state: "joined", sandbox: sbId });
    const eth0 = links(key).find((l) => l.ifname === "eth0")!;
    expect(eth0.ifalias).toBe(`netledger/${databaseIdOf(db)}/endpoint/${epId}`);
    expect(eth0.flags).toContain("UP");
    expect(links(key).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
    expect(links().find((l) => l.ifname === `nlv${epId.slice(0, 12)}`)?.master).toBe(`nl-${netId.slice(0, 12)}`);
    expect(JSON.parse(await nl("gc", "--dry-run", "--json")).found).toEqual([]);
    expect((await runCli(["--db", db, "verify"])).code).toBe(0);
  });
});
