import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Controller, type Sandbox } from "../../../src/index.js";
import { ask, askSilence, client, getent, nameserverOf } from "../../helpers/dnsAsk.js";
import { fixedResolver, type FixedResolver } from "../../helpers/fixedResolver.js";
import { cleanupKernel, isRoot, needsRoot, sh } from "../../helpers/kernel.js";
import { until } from "../../helpers/wait.js";

/**
 * The embedded DNS server on real namespaces, served by this test's own process (a controller open
 * for writing): questions are asked from inside each sandbox by child processes, with the system
 * resolver (getent with the sandbox's resolv.conf mounted) or a small client. Two resolvers on
 * loopback stand in for the host's upstream (named by a resolv.conf of the test's) and for a --dns.
 * Everything made is named nld-* and removed in afterAll.
 */
const runDir = mkdtempSync(join(tmpdir(), "nld-dns-"));
const hostResolvConf = join(runDir, "host-resolv.conf");
const upstreamIp = "127.0.77.53";
const dnsFlagIp = "127.0.77.54";
const longId = randomBytes(32).toString("hex");
let c: Controller;
let upstream: FixedResolver;
let viaFlag: FixedResolver;
const sb: Record<string, Sandbox> = {};
const ip: Record<string, string> = {};
const plain = (cidr: string | null | undefined) => (cidr ?? "").split("/")[0]!;
const resolv = (name: string) => join(runDir, "sandboxes", sb[name]!.id, "resolv.conf");
const key = (name: string) => sb[name]!.key!;
const server = (name: string) => nameserverOf(resolv(name));
const addressesOf = (r: { answers?: { type: string; data: string }[] }) => (r.answers ?? []).map((a) => a.data);

/**
 * That the system resolver in sandbox `from` finds `name` at `address`. On a loaded machine glibc's
 * own timeout can pass before this process answers, which reads as "not found": asked again until it
 * answers (bounded by the test's timeout); a wrong answer fails at once.
 */
async function resolves(from: string, name: string, address: string): Promise<void> {
  for (;;) {
    const found = await getent(key(from), resolv(from), name);
    if (found.length > 0) return void expect(found, `${name} from ${from}`).toEqual([address]);
  }
}

async function connect(name: string, network: string, aliases: string[] = []): Promise<void> {
  const r = await c.run({ type: "network.connect", network, sandbox: sb[name]!.containerId, aliases });
  ip[name] = plain(c.endpoint(r.entity!.id)!.view().ipv4);
}

describe.skipIf(!isRoot)(`the embedded DNS server on bridge networks (${needsRoot})`, () => {
  beforeAll(async () => {
    writeFileSync(hostResolvConf, `nameserver ${upstreamIp}\n`);
    upstream = await fixedResolver(upstreamIp, new Map([["outside.nld.test", "192.0.2.55"]]));
    viaFlag = await fixedResolver(dnsFlagIp, new Map([["viaflag.nld.test", "192.0.2.66"]]));
    c = await Controller.open({ db: join(runDir, "netledger.db"), runDir, dns: { hostResolvConf } });
    await c.newNetwork("bridge", "nld-a", { ipam: { config: [{ subnet: "10.219.1.0/24" }] } });
    await c.newNetwork("bridge", "nld-b", { ipam: { config: [{ subnet: "10.219.2.0/24" }] } });
    await c.newNetwork("bridge", "nld-off", { ipam: { config: [{ subnet: "10.219.3.0/24" }] }, options: { "netledger.network.dns": "false" } });
    sb["one"] = await c.newSandbox("nld-one", { hostname: "web1" });
    sb["two"] = await c.newSandbox(longId, { hostname: "web2" });
    sb["three"] = await c.newSandbox("nld-three", { hostname: "web3", dns: [dnsFlagIp] });
    sb["other"] = await c.newSandbox("nld-other", { hostname: "other" });
    sb["off"] = await c.newSandbox("nld-off1", { hostname: "off1" });
    await c.newNetwork("bridge", "nld-int", { ipam: { config: [{ subnet: "10.219.4.0/24" }] }, internal: true });
    sb["in1"] = await c.newSandbox("nld-in1", { hostname: "inside1" });
    sb["in2"] = await c.newSandbox("nld-in2", { hostname: "inside2" });
    await connect("one", "nld-a", ["db"]);
    await connect("two", "nld-a");
    await connect("three", "nld-a", ["cache"]);
    await connect("other", "nld-b");
    await connect("off", "nld-off");
    await connect("in1", "nld-int");
    await connect("in2", "nld-int");
  });

  afterAll(async () => {
    const id = c?.databaseId;
    await c?.close();
    await upstream?.close();
    await viaFlag?.close();
    if (id) cleanupKernel(id, runDir);
    rmSync(runDir, { recursive: true, force: true });
  });

  it("names the network's gateway in the resolv.conf of each sandbox on it, and the host's servers on a network without DNS", () => {
    for (const name of ["one", "two", "three"]) expect(readFileSync(resolv(name), "utf8")).toMatch(/^nameserver 10\.219\.1\.1$/m);
    expect(readFileSync(resolv("one"), "utf8")).toMatch(/^options ndots:0/m);
    expect(readFileSync(resolv("other"), "utf8")).toMatch(/^nameserver 10\.219\.2\.1$/m);
    expect(readFileSync(resolv("off"), "utf8")).not.toMatch(/10\.219\.3\.1/);
  });

  it("resolves the others' hostnames, endpoint names, container ids and aliases with the system resolver, from each sandbox", async () => {
    const names: [string, string][] = [
      ["web1", "one"], ["nld-one", "one"], ["db", "one"],
      ["web2", "two"], [longId.slice(0, 12), "two"],
      ["web3", "three"], ["nld-three", "three"], ["cache", "three"],
    ];
    for (const from of ["one", "two", "three"])
      for (const [name, owner] of names) {
        if (owner === from) continue;
        await resolves(from, name, ip[owner]!);
      }
  });

  it("answers a container's 12-digit short id; the 64-digit one, a label too long for DNS, resolves to nothing", async () => {
    expect(addressesOf(await ask(key("one"), server("one"), longId.slice(0, 12)))).toEqual([ip["two"]]);
    expect(await getent(key("one"), resolv("one"), longId)).toEqual([]);
  });

  it("does not resolve them from a sandbox on another network: the question goes upstream, which does not know them", async () => {
    for (const name of ["web1", "db", "nld-three"]) {
      expect(await getent(key("other"), resolv("other"), name)).toEqual([]);
      const r = await ask(key("other"), server("other"), name);
      expect(r.rcode).toBe(3);
    }
    expect(upstream.asked).toContain("web1");
    // And the other network's server refuses a client that is not on its network.
    expect((await ask(key("other"), server("one"), "web1")).rcode).toBe(5);
  });

  it("answers on an internal network too: the bridge driver's rules filter forwarding, and a question to the gateway is local delivery", async () => {
    await resolves("in1", "inside2", ip["in2"]!);
    expect(addressesOf(await ask(key("in2"), server("in2"), "inside1", "A", "tcp"))).toEqual([ip["in1"]]);
  });

  it("answers over TCP as over UDP", async () => {
    const r = await ask(key("one"), server("one"), "web2", "A", "tcp");
    expect(r).toMatchObject({ rcode: 0, answers: [{ type: "A", data: ip["two"] }] });
  });

  it("gives the name back for an address (PTR)", async () => {
    const rev = ip["three"]!.split(".").reverse().join(".") + ".in-addr.arpa";
    const r = await ask(key("one"), server("one"), rev, "PTR");
    expect(r).toMatchObject({ rcode: 0, answers: [{ type: "PTR", data: "nld-three" }] });
  });

  it("forwards an outside name to the host's resolver, or to the sandbox's --dns, and passes the answer back", async () => {
    await resolves("one", "outside.nld.test", "192.0.2.55");
    await resolves("three", "viaflag.nld.test", "192.0.2.66");
    expect((await ask(key("three"), server("three"), "outside.nld.test")).rcode).toBe(3);
    expect(viaFlag.asked).toContain("outside.nld.test");
    expect(addressesOf(await ask(key("one"), server("one"), "outside.nld.test", "A", "tcp"))).toEqual(["192.0.2.55"]);
  });

  it("resolves a sandbox joined afterwards once its join is committed, and gives NXDOMAIN once it has left", async () => {
    sb["late"] = await c.newSandbox("nld-late", { hostname: "late" });
    await connect("late", "nld-a", ["latecomer"]);
    await until(async () => addressesOf(await ask(key("one"), server("one"), "latecomer")).includes(ip["late"]!), 50);
    await resolves("two", "late", ip["late"]!);
    await c.run({ type: "network.disconnect", network: "nld-a", sandbox: "nld-late" });
    await until(async () => (await ask(key("one"), server("one"), "latecomer")).rcode === 3, 50);
    expect(await getent(key("two"), resolv("two"), "late")).toEqual([]);
    await sb["late"]!.delete();
  });

  it("answers FORMERR to malformed, truncated and oversized queries, drops what has no header, and goes on answering", async () => {
    const s = server("one");
    const good = (await ask(key("one"), s, "web2")).answers;
    const header = "4e4c01000001000000000000"; // id 0x4e4c, RD, one question
    // A question cut off in its name; a count of questions the message does not hold; 5000 bytes of junk after a header.
    expect(await client(key("one"), ["raw", "udp", s, header + "0377656"])).toMatchObject({ rcode: 1 });
    expect(await client(key("one"), ["raw", "udp", s, "4e4c0100ffff000000000000"])).toMatchObject({ rcode: 1 });
    expect(await client(key("one"), ["raw", "udp", s, header + "ab".repeat(5000)])).toMatchObject({ rcode: 1 });
    // Fewer than 12 bytes: no id to answer; a response sent to the server: never answered.
    expect(await client(key("one"), ["raw", "udp", s, "4e4c01"], 2_000)).toEqual({ timeout: true });
    expect(await client(key("one"), ["raw", "udp", s, "4e4c81800001000000000000"], 2_000)).toEqual({ timeout: true });
    // Over TCP: a frame shorter than a header closes the connection; a frame that does not decode gets FORMERR.
    expect(await client(key("one"), ["raw", "tcp", s, "0003abcdef"])).toEqual({ closed: true });
    expect(await client(key("one"), ["raw", "tcp", s, "000e" + header + "ffff"])).toMatchObject({ rcode: 1 });
    expect((await ask(key("one"), s, "web2")).answers).toEqual(good);
  });

  it("answers a flood of 10,000 queries from a sandbox while commands go on", async () => {
    const flood = client<{ sent: number; answered: number }>(key("one"), ["flood", server("one"), "web2", "10000", "64"]);
    // Commands run while the flood is answered; each completes (no timing is asserted).
    sb["during"] = await c.newSandbox("nld-during", { hostname: "during" });
    await connect("during", "nld-a");
    await c.run({ type: "network.disconnect", network: "nld-a", sandbox: "nld-during" });
    await sb["during"]!.delete();
    const r = await flood;
    expect(r.sent).toBe(10_000);
    expect(r.answered).toBe(10_000);
    expect(addressesOf(await ask(key("one"), server("one"), "web3"))).toEqual([ip["three"]]);
  });

  it("answers again after a reboot's re-programming makes the bridge and the veths again", async () => {
    const net = c.network("nld-a")!;
    // What a reboot does to this network: its bridge and the host ends of its veths (with the sandbox ends) go.
    for (const ep of net.endpoints()) sh("ip", ["link", "del", `nlv${ep.id.slice(0, 12)}`]);
    sh("ip", ["link", "del", `nl-${net.id.slice(0, 12)}`]);
    expect((await askSilence(key("one"), server("one"), "web2")).timeout).toBe(true);
    await c.reprogram();
    await until(async () => addressesOf(await ask(key("one"), server("one"), "web2")).includes(ip["two"]!), 50);
    await resolves("three", "db", ip["one"]!);
  });

  it("serves no network created with DNS off", async () => {
    const r = await askSilence(key("off"), "10.219.3.1", "web1");
    expect(r.timeout).toBe(true);
  });
});
