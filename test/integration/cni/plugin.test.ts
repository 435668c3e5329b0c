import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniCall, cniEnv } from "../../helpers/cni/plugin.js";
import { runCli } from "../../helpers/cli.js";
import { cleanupKernel, databaseIdOf, inNs, isRoot, makeNamespace, needsRoot, teardownEach } from "../../helpers/kernel.js";
import { fileTempDir } from "../../helpers/tmp.js";
import { supportedVersions } from "../../../src/cni/spec.js";

/**
 * netledger-cni called as a runtime calls it (the config on stdin, CNI_* in the environment), on a
 * database file: the spec's answers and errors, retries that append nothing, the audit trail.
 */

const dir = fileTempDir("nlc-plugin-");
const db = join(dir, "netledger.db");
const runDir = join(dir, "run");
const env = { NETLEDGER_RUN_DIR: runDir, NETLEDGER_HOST: "" };
const tag = Math.random().toString(16).slice(2, 8);
const bridge = `nlcp${tag}`;
const conf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: "1.0.0", name: "nlcnet", type: "netledger-cni", network: "nlcnet", db, ...extra });

async function nl(...args: string[]): Promise<string> {
  const r = await runCli(["--db", db, ...args], { env });
  expect(r.stderr, args.join(" ")).toBe("");
  return r.stdout;
}
const head = () => nl("head");
const pluginEnv = (command: string, id: string, ns: string, ifname = "eth0", args = "") => ({ ...cniEnv(command, id, ns, ifname, args), ...env });

let nsCount = 0;
function namespace(): string {
  mkdirSync(join(runDir, "cni-ns"), { recursive: true });
  const p = join(runDir, "cni-ns", `nlc-${tag}-${nsCount++}`);
  makeNamespace(p);
  return p;
}

beforeAll(async () => {
  await nl("network", "create", "-d", "null", "nlcnull");
  if (isRoot) await nl("network", "create", "-d", "bridge", "--subnet", "10.239.7.0/24", "-o", `com.docker.network.bridge.name=${bridge}`, "nlcnet");
}, 60_000);

afterAll(async () => {
  if (isRoot) {
    await runCli(["--db", db, "network", "rm", "--force", "nlcnet"], { env });
    cleanupKernel(databaseIdOf(db), runDir);
  }
}, 60_000);

describe("netledger-cni, the spec's side", () => {
  it("answers VERSION with the versions it speaks, in the config's version", async () => {
    const r = await cniCall({ CNI_COMMAND: "VERSION" }, JSON.stringify({ cniVersion: "0.4.0" }));
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: "0.4.0", supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
    // The plugin's entry answers VERSION without loading spec.ts: its copy of the list is spec.ts's.
    expect(r.json?.["supportedVersions"]).toEqual([...supportedVersions]);
  });

  it("refuses garbage JSON, an unsupported version, an unknown network and a missing variable with the spec's error, appending nothing", async () => {
    const before = await head();
    const add = pluginEnv("ADD", "nlc-bad", "/proc/self/ns/net");
    const cases: [Record<string, string>, string, number][] = [
      [add, "{not json", 6],
      [add, conf({ cniVersion: "0.2.0" }), 1],
      [add, conf({ network: "no-such-network" }), 7],
      [add, conf({ db: join(dir, "absent.db") }), 7],
      [add, conf({ runtimeConfig: { portMappings: [{ hostPort: "x", containerPort: 80 }] } }), 7],
      [{ ...add, CNI_IFNAME: "" }, conf(), 4],
      [{ ...add, CNI_COMMAND: "FROB" }, conf(), 4],
    ];
    for (const [e, stdin, code] of cases) {
      const r = await cniCall(e, stdin);
      expect(r.code, stdin).not.toBe(0);
      expect(r.json?.["code"], `${stdin}: ${r.stdout}`).toBe(code);
      expect(typeof r.json?.["msg"]).toBe("string");
    }
    expect(await head()).toBe(before);
  });

  it("succeeds on DEL of a container it never saw, appending nothing", async () => {
    const before = await head();
    const r = await cniCall(pluginEnv("DEL", "nlc-never-seen", ""), conf());
    expect(r.code, r.stdout).toBe(0);
    expect(await head()).toBe(before);
  });
});

describe.skipIf(!isRoot)(`netledger-cni on a bridge network (${isRoot ? "as root" : needsRoot})`, () => {
  const teardown = teardownEach();

  it("attaches with CNI_IFNAME and IP=, answers the 1.0.0 result, and a retried ADD appends nothing", async () => {
    const ns = namespace();
    const id = `nlc-${tag}-a`;
    teardown(() => void cniCall(pluginEnv("DEL", id, ns, "net1"), conf()));
    const args = "IgnoreUnknown=1;K8S_POD_NAME=web-1;IP=10.239.7.50";
    const r = await cniCall(pluginEnv("ADD", id, ns, "net1", args), conf());
    expect(r.code, r.stdout).toBe(0);
    expect(r.json).toMatchObject({
      cniVersion: "1.0.0",
      interfaces: [{ name: expect.stringMatching(/^nlv/) }, { name: "net1", sandbox: ns, mac: expect.any(String) }],
      ips: [{ address: "10.239.7.50/24", gateway: "10.239.7.1", interface: 1 }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.239.7.1" }],
    });
    expect(inNs(ns, "ip", ["-br", "addr", "show", "net1"])).toContain("10.239.7.50/24");

    const seen = await head();
    const again = await cniCall(pluginEnv("ADD", id, ns, "net1", args), conf());
    expect(again.json).toEqual(r.json);
    expect(await head()).toBe(seen);

    // The commands' events carry the runtime's CNI_ARGS; the drivers' outcomes that follow carry none.
    type Row = { meta: { requestId?: string; labels?: Record<string, string> } };
    const log = (await nl("--json", "log", "--actor", "cni")).trim().split("\n").map((l) => JSON.parse(l) as Row);
    const commands = log.filter((e) => e.meta.requestId?.startsWith("cni:add:"));
    expect(commands.length).toBeGreaterThan(0);
    for (const e of commands) expect(e.meta.labels).toMatchObject({ K8S_POD_NAME: "web-1", CNI_COMMAND: "ADD", CNI_CONTAINERID: id, CNI_IFNAME: "net1" });
  }, 60_000);

  it("fails an ADD whose CNI_NETNS is no namespace, leaving neither sandbox nor endpoint", async () => {
    // The sandbox and the connect are sent together: the sandbox's refusal is the answer, the connect makes nothing.
    mkdirSync(join(runDir, "cni-ns"), { recursive: true });
    const notNs = join(runDir, "cni-ns", `nlc-${tag}-plain-file`);
    writeFileSync(notNs, "");
    const id = `nlc-${tag}-nons`;
    teardown(() => void cniCall(pluginEnv("DEL", id, notNs), conf()));
    const r = await cniCall(pluginEnv("ADD", id, notNs), conf());
    expect(r.code).not.toBe(0);
    // The spec's "invalid environment variables", naming the variable and what it holds.
    expect(r.json, r.stdout).toMatchObject({ code: 4, msg: expect.stringMatching(/^CNI_NETNS ".*plain-file" is not a namespace file/) });
    const missing = await cniCall(pluginEnv("ADD", id, join(runDir, "cni-ns", "nlc-absent")), conf());
    expect(missing.json, missing.stdout).toMatchObject({ code: 4, msg: expect.stringMatching(/^CNI_NETNS ".*nlc-absent": no such file/) });
    const sandboxes = JSON.parse(await nl("--json", "sandbox", "ls")) as { containerId: string }[];
    expect(sandboxes.map((s) => s.containerId)).not.toContain(id);
    const names = (await nl("endpoint", "ls", "--network", "nlcnet", "--format", "{{.Name}}")).split("\n");
    expect(names).not.toContain(id);
    expect((await cniCall(pluginEnv("DEL", id, notNs), conf())).code).toBe(0);
    expect(await nl("verify")).toMatch(/^ok/);
  }, 60_000);

  it("answers two identical ADDs sent at once alike, with one endpoint, the second waiting for the first", async () => {
    // A runtime that times a call out sends it again while the first is still under way.
    for (let i = 0; i < 4; i++) {
      const ns = namespace();
      const id = `nlc-${tag}-twice-${i}`;
      teardown(() => void cniCall(pluginEnv("DEL", id, ns, "eth0"), conf()));
      const [a, b] = await Promise.all([cniCall(pluginEnv("ADD", id, ns, "eth0"), conf()), cniCall(pluginEnv("ADD", id, ns, "eth0"), conf())]);
      expect([a.code, b.code], `${a.stdout}\n${b.stdout}`).toEqual([0, 0]);
      expect(b.json).toEqual(a.json);
    }
    const names = (await nl("endpoint", "ls", "--network", "nlcnet", "--format", "{{.Name}}")).split("\n");
    expect(names.filter((n) => n.includes(`nlc-${tag}-twice-`))).toHaveLength(4);
  }, 120_000);

  it("DEL on one of a container's two networks leaves the other attached; the last DEL removes its endpoint and the sandbox in one sandbox deletion", async () => {
    const ns = namespace();
    const id = `nlc-${tag}-two`;
    const onNull = conf({ name: "nlcnull", network: "nlcnull" });
    teardown(() => void cniCall(pluginEnv("DEL", id, ns, "eth1"), onNull));
    teardown(() => void cniCall(pluginEnv("DEL", id, ns), conf()));
    expect((await cniCall(pluginEnv("ADD", id, ns), conf())).code).toBe(0);
    const second = await cniCall(pluginEnv("ADD", id, ns, "eth1"), onNull);
    expect(second.code, second.stdout).toBe(0);
    type Sandbox = { containerId: string; endpoints: string[] };
    const sandbox = async () => (JSON.parse(await nl("--json", "sandbox", "ls")) as Sandbox[]).find((s) => s.containerId === id);

    expect((await cniCall(pluginEnv("DEL", id, ns), conf())).code).toBe(0);
    expect((await sandbox())?.endpoints).toHaveLength(1);
    expect(inNs(ns, "ip", ["-br", "link"])).not.toContain("eth0");

    expect((await cniCall(pluginEnv("DEL", id, ns, "eth1"), onNull)).code).toBe(0);
    expect(await sandbox()).toBeUndefined();
    type Row = { type: string; meta: { requestId?: string; labels?: Record<string, string> } };
    const log = (await nl("--json", "log", "--actor", "cni")).trim().split("\n").map((l) => JSON.parse(l) as Row);
    const dels = log.filter((e) => e.meta.labels?.["CNI_CONTAINERID"] === id && e.meta.labels["CNI_COMMAND"] === "DEL");
    const typesOf = (ifname: string) => dels.filter((e) => e.meta.labels?.["CNI_IFNAME"] === ifname).map((e) => e.type);
    // The first DEL a disconnect (the sandbox held another endpoint); the last one sandbox deletion, its endpoint leaving within it.
    expect(typesOf("eth0")).toContain("endpoint.left");
    expect(typesOf("eth0")).not.toContain("sandbox.deleted");
    expect(typesOf("eth1")).toEqual(expect.arrayContaining(["endpoint.left", "sandbox.deleted"]));
    expect(dels.filter((e) => e.meta.labels?.["CNI_IFNAME"] === "eth1").every((e) => e.meta.requestId?.startsWith("cni:del:sandbox:"))).toBe(true);
  }, 90_000);

  it("answers a 0.4.0 config in 0.4.0, naming each address's IP version", async () => {
    const ns = namespace();
    const id = `nlc-${tag}-b`;
    teardown(() => void cniCall(pluginEnv("DEL", id, ns), conf({ cniVersion: "0.4.0" })));
    const r = await cniCall(pluginEnv("ADD", id, ns), conf({ cniVersion: "0.4.0" }));
    expect(r.code, r.stdout).toBe(0);
    expect(r.json?.["cniVersion"]).toBe("0.4.0");
    expect((r.json?.["ips"] as { version: string }[])[0]?.version).toBe("4");
  }, 60_000);

  it("GC (1.1.0) removes the attachments the runtime no longer lists, and STATUS answers", async () => {
    const [ns1, ns2] = [namespace(), namespace()];
    const [keep, drop] = [`nlc-${tag}-keep`, `nlc-${tag}-drop`];
    teardown(() => void cniCall(pluginEnv("DEL", keep, ns1), conf()));
    teardown(() => void cniCall(pluginEnv("DEL", drop, ns2), conf()));
    for (const [id, ns] of [[keep, ns1], [drop, ns2]] as const) expect((await cniCall(pluginEnv("ADD", id, ns), conf())).code).toBe(0);
    const v11 = { cniVersion: "1.1.0", "cni.dev/valid-attachments": [{ containerID: keep, ifname: "eth0" }] };
    const gc = await cniCall({ CNI_COMMAND: "GC", ...env }, conf(v11));
    expect(gc.code, gc.stdout).toBe(0);
    const sandboxes = JSON.parse(await nl("--json", "sandbox", "ls")) as { containerId: string }[];
    expect(sandboxes.map((s) => s.containerId)).toContain(keep);
    expect(sandboxes.map((s) => s.containerId)).not.toContain(drop);
    expect((await cniCall({ CNI_COMMAND: "STATUS", ...env }, conf({ cniVersion: "1.1.0" }))).code).toBe(0);
    const down = await cniCall({ CNI_COMMAND: "STATUS", ...env }, conf({ cniVersion: "1.1.0", network: "gone" }));
    expect(down.json?.["code"]).toBe(50);
  }, 90_000);
});
