import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { cleanupKernel, databaseIdOf, isRoot, links, needsRoot, sh, teardownEach } from "../helpers/kernel.js";
import { disagreements } from "../helpers/pluginServer/agreement.js";
import { PluginProcess, pluginWithCli } from "../helpers/pluginServer/fixture.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

/**
 * netledger SIGKILLed in the middle of a plugin call (the crash points of src/effects/crashPoints.ts):
 * after the intent is durable and before the call (`after-commit`), and after the plugin answered and
 * before the outcome is recorded (`after-call`). `netledger recover` then applies the in-doubt policy
 * (docs/architecture.md, recovery: CreateEndpoint/Join in doubt → DeleteEndpoint/Leave, then again), after which the
 * plugin's record and netledger's state agree.
 */
const teardown = teardownEach();

const cases = [
  { op: "createEndpoint", command: ["endpoint", "create", "n1", "e1"], method: "NetworkDriver.CreateEndpoint", undo: "NetworkDriver.DeleteEndpoint", state: "created" },
  { op: "join", command: ["endpoint", "join", "n1", "e1", "c1"], method: "NetworkDriver.Join", undo: "NetworkDriver.Leave", state: "joined" },
] as const;

describe("netledger killed in the middle of a plugin call", () => {
  for (const k of cases)
    for (const point of ["after-commit", "after-call"] as const)
      it(`${k.op}, killed ${point === "after-commit" ? "before the call" : "after the plugin answered"}: recover makes the plugin and the log agree`, async () => {
        const dir = tempDir("netledger-plugins-");
        const db = tempDb();
        const plugin = new PluginProcess(dir, "crashp");
        await plugin.start();
        const env = { NETLEDGER_PLUGIN_DIRS: dir };
        const nl = async (...args: string[]) => {
          const r = await runCli(["--db", db, "--json", ...args], { env });
          expect(r.stderr, args.join(" ")).toBe("");
          expect(r.code, args.join(" ")).toBe(0);
          return r.stdout;
        };
        await nl("network", "create", "-d", "crashp", "--subnet", "10.90.0.0/24", "n1");
        await nl("sandbox", "create", "--host-netns", "c1");
        if (k.op === "join") await nl("endpoint", "create", "n1", "e1");
        const before = plugin.calls().length;

        const crashed = await runCli(["--db", db, ...k.command], { env: { ...env, NETLEDGER_CRASH_AT: point } });
        expect(crashed.code, crashed.stderr).toBe(-1); // killed by its signal
        const sent = plugin.calls().slice(before).filter((c) => c.method === k.method);
        expect(sent).toHaveLength(point === "after-call" ? 1 : 0);
        const mid = JSON.parse(await nl("replay"));
        expect([...mid.effects.pending, ...mid.effects.inDoubt]).toEqual([expect.objectContaining({ op: k.op })]);

        const report = JSON.parse(await nl("recover"));
        expect(report.resolved).toEqual([expect.objectContaining({ op: k.op, outcome: "succeeded", attempts: 2 })]);
        const after = JSON.parse(await nl("replay"));
        expect(after.endpoints).toEqual([expect.objectContaining({ name: "e1", state: k.state })]);
        expect(after.effects).toEqual({ pending: [], inDoubt: [] });
        expect(disagreements(after, "crashp", plugin.holdings())).toEqual([]);
        // The in-doubt policy: the undo first (tolerated), then the call again.
        const tail = plugin.methods().slice(before).filter((m) => m === k.method || m === k.undo);
        expect(tail).toEqual(point === "after-call" ? [k.method, k.undo, k.method] : [k.undo, k.method]);
        expect(JSON.parse(await nl("verify")).ok).toBe(true);
      });
});

describe.skipIf(!isRoot)(`netledger killed after a plugin's Join placed its link (${needsRoot})`, () => {
  it("recover's Leave finds the link in the sandbox by its alias and moves it out, and the Join again leaves exactly one", async () => {
    const prefix = `tnl${randomBytes(2).toString("hex")}`;
    const runDir = tempDir("netledger-run-");
    const { db, plugin, env } = await pluginWithCli("crashk", { createInterfaces: true, ifPrefix: prefix });
    const nl = async (...args: string[]) => {
      const r = await runCli(["--db", db, "--json", ...args], { env: { ...env, NETLEDGER_RUN_DIR: runDir } });
      expect(r.stderr, args.join(" ")).toBe("");
      return r.stdout;
    };
    await nl("network", "create", "-d", "crashk", "--subnet", "10.94.0.0/24", "n1");
    teardown(() => {
      for (const l of links().filter((x) => x.ifname.startsWith(prefix))) sh("ip", ["link", "del", l.ifname]);
      cleanupKernel(databaseIdOf(db), runDir);
    });
    const sb = JSON.parse(await nl("sandbox", "create", "c1"));
    await nl("endpoint", "create", "n1", "e1");
    const crashed = await runCli(["--db", db, "endpoint", "join", "n1", "e1", "c1"], {
      env: { ...env, NETLEDGER_RUN_DIR: runDir, NETLEDGER_CRASH_AT: "after-call" },
    });
    expect(crashed.code).toBe(-1);
    expect(links(sb.key).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
    await nl("recover");
    // Leave moved the first link out (the plugin deleted it), and the Join again placed a fresh one as eth0.
    expect(links(sb.key).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
    expect(plugin.methods().filter((m) => m === "NetworkDriver.Join" || m === "NetworkDriver.Leave").slice(-3)).toEqual([
      "NetworkDriver.Join",
      "NetworkDriver.Leave",
      "NetworkDriver.Join",
    ]);
    const after = JSON.parse(await nl("replay"));
    expect(after.endpoints).toEqual([expect.objectContaining({ name: "e1", state: "joined" })]);
    expect(disagreements(after, "crashk", plugin.holdings())).toEqual([]);
  });
});

describe("netledger killed in the middle of a remote IPAM request", () => {
  it("a new process finds the IPAM plugin for the request in doubt, and recover completes the endpoint", async () => {
    const { db, plugin, env } = await pluginWithCli("crashipam", { implements: ["NetworkDriver", "IpamDriver"] });
    const nl = async (...args: string[]) => {
      const r = await runCli(["--db", db, "--json", ...args], { env });
      expect(r.stderr, args.join(" ")).toBe("");
      return r.stdout;
    };
    await nl("network", "create", "-d", "crashipam", "--ipam-driver", "crashipam", "--subnet", "10.95.0.0/24", "n1");
    const crashed = await runCli(["--db", db, "endpoint", "create", "n1", "e1"], { env: { ...env, NETLEDGER_CRASH_AT: "after-commit" } });
    expect(crashed.code).toBe(-1);
    const mid = JSON.parse(await nl("replay"));
    expect([...mid.effects.pending, ...mid.effects.inDoubt]).toEqual([expect.objectContaining({ op: "requestAddress" })]);
    await nl("recover");
    const after = JSON.parse(await nl("replay"));
    expect(after.endpoints).toEqual([expect.objectContaining({ name: "e1", state: "created", ipv4: "10.95.0.2/24" })]);
    expect(after.effects).toEqual({ pending: [], inDoubt: [] });
    expect(disagreements(after, "crashipam", plugin.holdings())).toEqual([]);
    // The plugin's pool holds the gateway and the endpoint's address, nothing else.
    expect([...plugin.holdings().pools.get("white/10.95.0.0/24")!].sort()).toEqual(["10.95.0.1", "10.95.0.2"]);
  });
});
