import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Controller, type Sandbox } from "../../../src/index.js";
import { cleanupKernel, isRoot, kernelReady, needsKernel, linksOf, needsRoot, nftTables, routes, tableOf, tcpAsk, tcpServer } from "../../helpers/kernel.js";

/**
 * The bridge driver end to end through the controller: addresses come from IPAM (issue 4), so until
 * IPAM has landed the endpoints have none and these tests skip themselves, saying so. The same
 * behaviours are shown at the driver level, with explicit addresses, in test/integration/drivers/bridge.test.ts.
 */
// One topology for the whole file, so not the per-test temp dirs: removed in afterAll, after the namespaces.
const runDir = mkdtempSync(join(tmpdir(), "netledger-e2e-"));
let c: Controller;
let ipam = false;
const sb: Record<string, Sandbox> = {};
const ip: Record<string, string> = {};
const servers: ChildProcess[] = [];
const skipWithoutIpam = (ctx: { skip: (note?: string) => void }) => {
  if (!ipam) ctx.skip("needs IPAM (issue 4): endpoints get no addresses in this build");
};
const plain = (cidr: string | null) => (cidr ?? "").split("/")[0]!;

describe.skipIf(!kernelReady)(`bridge networks end to end through the controller (${needsKernel})`, () => {
  beforeAll(async () => {
    c = await Controller.open({ db: join(runDir, "netledger.db"), runDir });
    // IPv4 only: an IPv6 network with a way out would turn on the host's IPv6 forwarding (IPv6 is
    // shown at the driver level, on one bridge).
    await c.newNetwork("bridge", "A", { ipam: { config: [{ subnet: "10.216.1.0/24" }] } });
    await c.newNetwork("bridge", "B", { ipam: { config: [{ subnet: "10.216.2.0/24" }] } });
    await c.newNetwork("bridge", "I", { ipam: { config: [{ subnet: "10.216.3.0/24" }] }, internal: true });
    for (const [name, net, ports] of [
      ["s1", "A", [{ proto: "tcp" as const, port: 8080, hostIp: "", hostPort: 18081 }]],
      ["s2", "A", []],
      ["s3", "B", []],
      ["s4", "I", []],
    ] as const) {
      sb[name] = await c.newSandbox(`c-${name}`, { hostname: name });
      const r = await c.run({ type: "network.connect", network: net, sandbox: `c-${name}`, ports: [...ports] });
      ip[name] = c.endpoint(r.entity!.id)!.view().ipv4 ?? "";
    }
    ipam = Object.values(ip).every((a) => a !== "");
    if (ipam) servers.push(await tcpServer(sb["s1"]!.key!, 8080, "s1"));
  });

  afterAll(async () => {
    for (const s of servers) s.kill("SIGKILL");
    const id = c?.databaseId;
    await c?.close();
    if (id) cleanupKernel(id, runDir);
    rmSync(runDir, { recursive: true, force: true });
  });

  it("lets two sandboxes on one network reach each other by address, and lists each in the other's hosts file", (ctx) => {
    skipWithoutIpam(ctx);
    expect(tcpAsk(sb["s2"]!.key, plain(ip["s1"]!), 8080)).toEqual({ ok: true, text: "s1" });
    const hosts = readFileSync(join(runDir, "sandboxes", sb["s2"]!.id, "hosts"), "utf8");
    expect(hosts).toContain(`${plain(ip["s1"]!)}\tc-s1\n`);
    expect(hosts).toContain(`${plain(ip["s2"]!)}\ts2\n`);
  });

  it("gives a sandbox on an internal network no default route, and the others one through their gateway", (ctx) => {
    skipWithoutIpam(ctx);
    expect(routes(sb["s4"]!.key!)).not.toMatch(/default/);
    expect(routes(sb["s1"]!.key!)).toMatch(/^default via 10\.216\.1\.\d+ dev eth0/m);
  });

  it("keeps a sandbox on another bridge network from reaching them", (ctx) => {
    skipWithoutIpam(ctx);
    expect(tcpAsk(sb["s3"]!.key, plain(ip["s1"]!), 8080).ok).toBe(false);
  });

  it("answers a published TCP port from the host, on 127.0.0.1 too", (ctx) => {
    skipWithoutIpam(ctx);
    expect(tcpAsk(null, "127.0.0.1", 18081)).toEqual({ ok: true, text: "s1" });
  });

  it("leaves no link, namespace, rule or file after disconnect, sandbox rm and network rm", async (ctx) => {
    skipWithoutIpam(ctx);
    for (const s of servers.splice(0)) s.kill("SIGKILL");
    for (const [name, net] of [["s1", "A"], ["s2", "A"], ["s3", "B"], ["s4", "I"]] as const) {
      await c.run({ type: "network.disconnect", network: net, sandbox: `c-${name}` });
      await sb[name]!.delete();
    }
    for (const n of ["A", "B", "I"]) await c.run({ type: "network.delete", network: n });
    expect(linksOf(c.databaseId)).toEqual([]);
    expect(nftTables()).not.toContain(tableOf(c.databaseId));
    expect(readdirSync(join(runDir, "netns"))).toEqual([]);
    expect(readdirSync(join(runDir, "sandboxes"))).toEqual([]);
  });
});
