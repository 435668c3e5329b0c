import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniCall, cniEnv } from "../../helpers/cni/plugin.js";
import { runCli } from "../../helpers/cli.js";
import { startDaemon, stopDaemon, type TestDaemon } from "../../helpers/daemon.js";
import { cleanupKernel, databaseIdOf, inNs, isRoot, makeNamespace, needsRoot, teardownEach } from "../../helpers/kernel.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * netledger-cni with a daemon running: the call is forwarded whole to the daemon (POST /cni), which
 * runs it against its own controller. The same answers as in-process (plugin.test.ts), the same audit
 * trail, and a daemon at the default socket is found without being named.
 */

const dir = fileTempDir("nlc-forward-");
const db = join(dir, "netledger.db");
const runDir = join(dir, "run");
const socket = join(runDir, "netledger.sock");
const env = { NETLEDGER_RUN_DIR: runDir, NETLEDGER_HOST: "" };
const tag = Math.random().toString(16).slice(2, 8);
const host = `unix://${socket}`;
const conf = (extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: "1.0.0", name: "nlcfwd", type: "netledger-cni", host, ...extra });
let daemon: TestDaemon | undefined;

async function nl(...args: string[]): Promise<string> {
  const r = await runCli(["--db", db, ...args], { env });
  expect(r.stderr, args.join(" ")).toBe("");
  return r.stdout;
}
const head = () => nl("head");
const pluginEnv = (command: string, id: string, ns: string, args = "") => ({ ...cniEnv(command, id, ns, "eth0", args), ...env });

let nsCount = 0;
function namespace(): string {
  mkdirSync(join(runDir, "cni-ns"), { recursive: true });
  const p = join(runDir, "cni-ns", `nlc-${tag}-f${nsCount++}`);
  makeNamespace(p);
  return p;
}

beforeAll(async () => {
  await nl("network", "create", "-d", "null", "nlcfnull");
  if (isRoot) await nl("network", "create", "-d", "bridge", "--subnet", "10.239.12.0/24", "-o", `com.docker.network.bridge.name=nlcf${tag}`, "nlcfwd");
  mkdirSync(runDir, { recursive: true });
  daemon = await startDaemon(db, { socket, env });
}, 60_000);

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  if (isRoot) {
    await runCli(["--db", db, "network", "rm", "--force", "nlcfwd"], { env });
    cleanupKernel(databaseIdOf(db), runDir);
  }
}, 60_000);

describe("netledger-cni forwarding its calls to a daemon", () => {
  it("refuses an unknown network with the spec's error, appending nothing", async () => {
    const before = await head();
    const r = await cniCall(pluginEnv("ADD", "nlc-fwd-bad", "/proc/self/ns/net"), conf({ network: "no-such-network" }));
    expect(r.code).not.toBe(0);
    expect(r.json?.["code"], r.stdout).toBe(7);
    expect(await head()).toBe(before);
  });

  it("answers try again later (11) when no daemon listens where the config says", async () => {
    const r = await cniCall(pluginEnv("DEL", "nlc-fwd-none", ""), conf({ host: `unix://${join(dir, "nobody.sock")}` }));
    expect(r.code).not.toBe(0);
    expect(r.json?.["code"], r.stdout).toBe(11);
  });
});

describe.skipIf(!isRoot)(`netledger-cni through a daemon on a bridge network (${isRoot ? "as root" : needsRoot})`, () => {
  const teardown = teardownEach();

  it("attaches, checks, appends nothing on a retried ADD, deletes twice; every event of the calls, outcomes too, under the actor cni", async () => {
    const ns = namespace();
    const id = `nlc-${tag}-fa`;
    teardown(() => void cniCall(pluginEnv("DEL", id, ns), conf()));
    const earlier = (await nl("--json", "log")).trim().split("\n").length;
    const r = await cniCall(pluginEnv("ADD", id, ns, "K8S_POD_NAME=web-2;IP=10.239.12.40"), conf());
    expect(r.code, r.stdout).toBe(0);
    expect(r.json).toMatchObject({
      cniVersion: "1.0.0",
      interfaces: [{ name: expect.stringMatching(/^nlv/) }, { name: "eth0", sandbox: ns }],
      ips: [{ address: "10.239.12.40/24", gateway: "10.239.12.1", interface: 1 }],
    });
    expect(inNs(ns, "ip", ["-br", "addr", "show", "eth0"])).toContain("10.239.12.40/24");

    const seen = await head();
    expect((await cniCall(pluginEnv("ADD", id, ns, "K8S_POD_NAME=web-2;IP=10.239.12.40"), conf())).json).toEqual(r.json);
    expect(await head()).toBe(seen);
    const check = await cniCall(pluginEnv("CHECK", id, ns), conf({ prevResult: r.json }));
    expect(check.code, check.stdout).toBe(0);

    for (let i = 0; i < 2; i++) expect((await cniCall(pluginEnv("DEL", id, ns), conf())).code).toBe(0);
    expect(JSON.parse(await nl("--json", "sandbox", "ls"))).toEqual([]);

    // Every event of these calls is the runtime's, the drivers' outcomes too (they inherit the actor of
    // the command that caused them), as when the plugin runs the call in-process under the actor cni.
    type Row = { type: string; meta: { actor: string; requestId?: string; labels?: Record<string, string> } };
    const rows = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l) as Row);
    const calls = rows(await nl("--json", "log")).slice(earlier);
    expect(calls.map((e) => e.type)).toEqual(expect.arrayContaining(["sandbox.created", "endpoint.joined", "effect.succeeded", "endpoint.deleted", "sandbox.deleted"]));
    expect(calls.filter((e) => e.meta.actor !== "cni")).toEqual([]);
    expect(rows(await nl("--json", "log", "--actor", "cni")).slice(-calls.length)).toEqual(calls);
    const commands = calls.filter((e) => e.meta.requestId?.startsWith("cni:"));
    expect(commands.map((e) => e.type)).toEqual(expect.arrayContaining(["sandbox.created", "endpoint.created", "endpoint.left", "sandbox.deleted"]));
    for (const e of commands) expect(e.meta.labels).toMatchObject({ CNI_CONTAINERID: id });
  }, 120_000);

  it("finds the daemon at the default socket when the config names neither host nor db", async () => {
    const ns = namespace();
    const id = `nlc-${tag}-fd`;
    // Neither NETLEDGER_HOST nor NETLEDGER_DB: in-process the default database would be used, which has
    // no such network (or is not there), so the call succeeds only if the daemon carries it.
    const bare = JSON.stringify({ cniVersion: "1.0.0", name: "nlcfwd", type: "netledger-cni" });
    teardown(() => void cniCall(pluginEnv("DEL", id, ns), bare));
    const add = await cniCall(pluginEnv("ADD", id, ns), bare);
    expect(add.code, add.stdout).toBe(0);
    expect(inNs(ns, "ip", ["-br", "addr", "show", "eth0"])).toMatch(/10\.239\.12\.\d+\/24/);
    expect((JSON.parse(await nl("--json", "sandbox", "ls")) as { containerId: string }[]).map((s) => s.containerId)).toEqual([id]);
    const del = await cniCall(pluginEnv("DEL", id, ns), bare);
    expect(del.code, del.stdout).toBe(0);
    expect(JSON.parse(await nl("--json", "sandbox", "ls"))).toEqual([]);
  }, 120_000);
});
