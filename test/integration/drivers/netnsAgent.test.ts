import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentPid, endAgent, runInNamespace } from "../../../src/drivers/netns/agent.js";
import { netnsSandboxDriver } from "../../../src/drivers/netns/index.js";
import { ipBatch } from "../../../src/drivers/netns/iproute.js";
import { cleanupKernel, inNs, isRoot, makeNamespace, needsRoot, randomId, testDatabaseId } from "../../helpers/kernel.js";

const teardown: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (teardown.length) await teardown.pop()!();
});

function setup() {
  const databaseId = testDatabaseId();
  const runDir = mkdtempSync(join(tmpdir(), "netledger-nla-"));
  teardown.push(() => cleanupKernel(databaseId, runDir));
  return { databaseId, runDir, call: { effectId: 1, attempt: 1, databaseId }, driver: netnsSandboxDriver() };
}

const alive = (pid: number | undefined): boolean => pid !== undefined && existsSync(`/proc/${pid}`);

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ok(), what).toBe(true);
}

describe.skipIf(!isRoot)(`the namespace's ip agent (${needsRoot})`, () => {
  it("runs the scripts of a sandbox it made in one process, one after the other", async () => {
    const { runDir, call, driver } = setup();
    const id = randomId();
    const key = join(runDir, "netns", id);
    await driver.createSandbox({ sandboxId: id, key, create: true }, call);
    const pid = agentPid(key);
    expect(alive(pid)).toBe(true);
    await ipBatch(["link add nla0 type veth peer name nla0p", "addr replace 10.213.95.2/24 dev nla0", "link set dev nla0 up"], { netns: key });
    await ipBatch(["route replace 10.213.96.0/24 via 10.213.95.1 dev nla0"], { netns: key });
    expect(agentPid(key)).toBe(pid);
    expect(inNs(key, "ip", ["-4", "-o", "addr", "show", "dev", "nla0"])).toContain("10.213.95.2/24");
    expect(inNs(key, "ip", ["route", "show"])).toContain("10.213.96.0/24 via 10.213.95.1");
    await driver.deleteSandbox({ sandboxId: id, key }, call);
  });

  it("reports a failed line with ip's words and goes on serving the next script", async () => {
    const { runDir } = setup();
    const ns = join(runDir, "external");
    makeNamespace(ns);
    teardown.push(() => endAgent(ns));
    await expect(ipBatch(["route replace 10.213.97.0/24 via 10.213.98.1 dev nla-missing"], { netns: ns })).rejects.toThrow(/Cannot find device "nla-missing"/);
    const pid = agentPid(ns);
    expect(alive(pid)).toBe(true);
    await ipBatch(["link add nla1 type veth peer name nla1p"], { netns: ns });
    expect(agentPid(ns)).toBe(pid);
    expect(inNs(ns, "ip", ["-o", "link", "show", "dev", "nla1"])).toContain("nla1");
  });

  it("fails the script when a malformed argument makes ip exit, and starts another agent for the next", async () => {
    const { runDir } = setup();
    const ns = join(runDir, "external");
    makeNamespace(ns);
    teardown.push(() => endAgent(ns));
    await runInNamespace(ns, ["link set dev lo up"]);
    const first = agentPid(ns);
    await expect(runInNamespace(ns, ["addr replace 10.213.99.2/33 dev lo"])).rejects.toThrow(/10\.213\.99\.2\/33/);
    await until("the exited agent is forgotten", () => agentPid(ns) === undefined);
    await runInNamespace(ns, ["addr replace 10.213.99.2/32 dev lo"]);
    expect(agentPid(ns)).not.toBe(first);
    expect(inNs(ns, "ip", ["-4", "-o", "addr", "show", "dev", "lo"])).toContain("10.213.99.2/32");
  });

  it("ends with the sandbox's deletion, so nothing holds the deleted namespace", async () => {
    const { runDir, call, driver } = setup();
    const id = randomId();
    const key = join(runDir, "netns", id);
    await driver.createSandbox({ sandboxId: id, key, create: true }, call);
    const pid = agentPid(key);
    await driver.deleteSandbox({ sandboxId: id, key }, call);
    expect(alive(pid)).toBe(false);
    expect(existsSync(key)).toBe(false);

    // A --netns namespace is kept, but this process's agent in it goes with the sandbox.
    const external = join(runDir, "external");
    makeNamespace(external);
    await driver.createSandbox({ sandboxId: id, key: external, create: false }, call);
    await ipBatch(["link set dev lo up"], { netns: external });
    const other = agentPid(external);
    expect(alive(other)).toBe(true);
    await driver.deleteSandbox({ sandboxId: id, key: external }, call);
    expect(alive(other)).toBe(false);
    expect(existsSync(external)).toBe(true);
  });
});
