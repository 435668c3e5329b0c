import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { isRoot, needsRoot } from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/** Issue 14: a bridge network without nft was made with no firewall, exit 0 and two raw Node warnings. */
describe.skipIf(!isRoot)(`a bridge network where nft is missing (${needsRoot})`, () => {
  it("is refused before anything is written, with a message naming nft", async () => {
    // A PATH with the other programs the kernel drivers run, but no nft.
    const bin = tempDir("netledger-bin-");
    for (const p of ["/usr/sbin/ip", "/usr/bin/nsenter", "/usr/bin/unshare", "/usr/bin/umount"]) symlinkSync(p, join(bin, p.split("/").at(-1)!));
    const db = tempDb();
    const env = { PATH: bin, NETLEDGER_RUN_DIR: tempDir("netledger-run-") };
    const r = await runCli(["--db", db, "network", "create", "-d", "bridge", "nonft"], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the bridge driver needs nft \(nftables\), not found in PATH; install it, or use -d null/);
    expect(r.stderr).not.toMatch(/Warning|\(node:/);
    const ls = await runCli(["--db", db, "--json", "network", "ls"], { env });
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    // The null driver still works there.
    expect((await runCli(["--db", db, "network", "create", "-d", "null", "n1"], { env })).code).toBe(0);
  });
});
