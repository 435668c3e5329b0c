import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { ask, askSilence, type DnsAnswer } from "../../helpers/dnsAsk.js";
import { startDaemon, stopDaemon, type TestDaemon } from "../../helpers/daemon.js";
import { fixedResolver, type FixedResolver } from "../../helpers/fixedResolver.js";
import { cleanupKernel, isRoot, needsRoot } from "../../helpers/kernel.js";
import { until } from "../../helpers/wait.js";

/**
 * The process serving DNS dies (SIGKILL) and the answers come back with no other step: from a daemon
 * restarted on the log, and from any process that opens the log for writing and recovers. This test's
 * own controller makes the topology with its DNS server off, so that the daemon is the only server and
 * must follow another process's commits. Objects are named nld-*; removed in afterAll.
 */
const built = existsSync(fileURLToPath(new URL("../../../dist/cli/main.js", import.meta.url)));
const runDir = mkdtempSync(join(tmpdir(), "nld-dnsk-"));
const db = join(runDir, "netledger.db");
const gateway = "10.219.5.1";
const hostResolvConf = join(runDir, "host-resolv.conf");
let c: Controller;
let daemon: TestDaemon | undefined;
let upstream: FixedResolver;
const ns: Record<string, string> = {};
const ip: Record<string, string> = {};
const addresses = (r: DnsAnswer) => (r.answers ?? []).map((a) => a.data);

async function join1(name: string, hostname: string): Promise<void> {
  const s = await c.newSandbox(`nld-${name}`, { hostname });
  ns[name] = s.key!;
  const r = await c.run({ type: "network.connect", network: "nld-k", sandbox: `nld-${name}` });
  ip[name] = (c.endpoint(r.entity!.id)!.view().ipv4 ?? "").split("/")[0]!;
}

/** Waits until the server answers `name` from sandbox k1 with `address` (bounded by the test's timeout). */
const answers = (name: string, address: string) => until(async () => addresses(await ask(ns["k1"]!, gateway, name)).includes(address), 50);

const serve = () => startDaemon(db, { env: { NETLEDGER_RUN_DIR: runDir } });

describe.skipIf(!isRoot || !built)(`answers after the serving process is killed (${needsRoot}; needs npm run build)`, () => {
  beforeAll(async () => {
    writeFileSync(hostResolvConf, "nameserver 127.0.77.55\n");
    upstream = await fixedResolver("127.0.77.55", new Map());
    c = await Controller.open({ db, runDir, dns: false });
    await c.newNetwork("bridge", "nld-k", { ipam: { config: [{ subnet: "10.219.5.0/24" }] } });
    await join1("k1", "kone");
    await join1("k2", "ktwo");
  });

  afterAll(async () => {
    if (daemon) daemon.child.kill("SIGKILL");
    const id = c?.databaseId;
    await c?.close();
    await upstream?.close();
    if (id) cleanupKernel(id, runDir);
    rmSync(runDir, { recursive: true, force: true });
  });

  it("answers from a daemon, which follows another process's joins", async () => {
    daemon = await serve();
    await answers("ktwo", ip["k2"]!);
    await join1("k3", "kthree");
    await answers("kthree", ip["k3"]!);
  });

  it("after SIGKILL, nothing answers; a process that opens the log for writing and recovers answers the state as it is now", async () => {
    daemon!.child.kill("SIGKILL");
    await new Promise<void>((r) => (daemon!.child.exitCode !== null || daemon!.child.signalCode !== null ? r() : daemon!.child.once("exit", () => r())));
    daemon = undefined;
    expect((await askSilence(ns["k1"]!, gateway, "ktwo")).timeout).toBe(true);
    // k3 leaves while no one serves.
    await c.run({ type: "network.disconnect", network: "nld-k", sandbox: "nld-k3" });
    const c2 = await Controller.open({ db, runDir, dns: { hostResolvConf } });
    try {
      await c2.recover();
      // Its listener may take a retry to bind on a loaded machine (retryMs): wait for the first answer.
      await answers("ktwo", ip["k2"]!);
      expect(addresses(await ask(ns["k1"]!, gateway, "ktwo"))).toEqual([ip["k2"]]);
      expect((await ask(ns["k1"]!, gateway, "kthree")).rcode).toBe(3);
    } finally {
      await c2.close();
    }
  });

  it("after SIGKILL, a restarted daemon answers again with no other step", async () => {
    daemon = await serve();
    await answers("kone", ip["k1"]!);
    daemon.child.kill("SIGKILL");
    await new Promise<void>((r) => (daemon!.child.exitCode !== null || daemon!.child.signalCode !== null ? r() : daemon!.child.once("exit", () => r())));
    await join1("k4", "kfour");
    daemon = await serve();
    await answers("kfour", ip["k4"]!);
    expect(addresses(await ask(ns["k1"]!, gateway, "ktwo"))).toEqual([ip["k2"]]);
    expect(addresses(await ask(ns["k1"]!, gateway, "kthree"))).toEqual([]);
    await stopDaemon(daemon);
    daemon = undefined;
  });
});
