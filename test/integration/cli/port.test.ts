import { describe, expect, it } from "vitest";
import { cleanupKernel, cliAt, databaseIdOf, isRoot, needsRoot, sh, tcpAsk, tcpServer, teardownEach } from "../../helpers/kernel.js";
import { cli } from "../../helpers/cli.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();
let hasNft = true;
try {
  sh("nft", ["--version"]);
} catch {
  hasNft = false;
}

describe("netledger port", () => {
  it.skipIf(!isRoot || !hasNft)(`shows the host port the kernel chose for -p 80, and that port answers (${needsRoot}, nft)`, async () => {
    const db = tempDb();
    const runDir = tempDir("netledger-run-");
    const nl = cliAt(db, runDir);
    const netId = (await nl("network", "create", "--subnet", "10.213.7.0/24", "nlp-front")).trim();
    const databaseId = databaseIdOf(db);
    teardown(() => cleanupKernel(databaseId, runDir));
    expect(netId).toMatch(/^[0-9a-f]{64}$/);
    await nl("sandbox", "create", "nlp-c1");
    await nl("network", "connect", "-p", "80", "-p", "8443:443", "nlp-front", "nlp-c1");
    const key = JSON.parse(await nl("--json", "sandbox", "inspect", "nlp-c1")).key as string;
    const server = await tcpServer(key, 80, "hello from nlp-c1");
    teardown(() => server.kill());

    const all = await nl("port", "nlp-c1");
    const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(all);
    expect(m, all).not.toBeNull();
    const hostPort = Number(m![1]);
    expect(hostPort).toBeGreaterThan(0);
    expect(all).toContain("443/tcp -> 0.0.0.0:8443\n");
    expect(await nl("port", "nlp-c1", "80/tcp")).toBe(`0.0.0.0:${hostPort}\n`);
    const answer = tcpAsk(null, "127.0.0.1", hostPort);
    expect(answer).toEqual({ ok: true, text: "hello from nlp-c1" });

    await nl("sandbox", "rm", "nlp-c1");
    await nl("network", "rm", "nlp-front");
  });

  it("lists published ports of a sandbox, and refuses a port it does not publish as docker port does", async () => {
    const db = tempDb();
    const run = (...a: string[]) => cli(["--db", db, ...a]);
    expect((await run("network", "create", "-d", "null", "n1")).code).toBe(0);
    expect((await run("sandbox", "create", "--host-netns", "c1")).code).toBe(0);
    expect((await run("network", "connect", "-p", "127.0.0.1:8080:80", "-p", "5353:53/udp", "n1", "c1")).code).toBe(0);
    expect((await run("port", "c1")).stdout).toBe("53/udp -> 0.0.0.0:5353\n80/tcp -> 127.0.0.1:8080\n");
    expect((await run("port", "c1", "53/udp")).stdout).toBe("0.0.0.0:5353\n");
    expect(JSON.parse((await run("--json", "port", "c1", "80")).stdout)).toEqual([expect.objectContaining({ port: 80, proto: "tcp", hostIp: "127.0.0.1", hostPort: 8080 })]);
    const none = await run("port", "c1", "81");
    expect(none.code).toBe(1);
    expect(none.stderr).toBe("netledger: no public port '81/tcp' published for c1\n");
    expect((await run("port", "c1", "http")).stderr).toMatch(/PORT takes PORT\[\/tcp\|udp\|sctp\], not "http"/);
  });
});
