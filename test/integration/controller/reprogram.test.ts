import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { cleanupKernel, isRoot, kernelReady, needsKernel, links, linksOf, makeNamespace, needsRoot, nftTables, sh, tableOf } from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const teardown: (() => void)[] = [];
afterEach(() => {
  while (teardown.length) teardown.pop()!();
});

describe.skipIf(!kernelReady)(`re-programming after a reboot (${needsKernel})`, () => {
  it("creates the networks again, joins their endpoints again, and removes through events the sandboxes whose namespace is gone", async () => {
    const runDir = tempDir("netledger-run-");
    const c = await Controller.open({ db: tempDb(), runDir });
    teardown.push(() => cleanupKernel(c.databaseId, runDir));
    try {
      const net = await c.newNetwork("bridge", "front");
      const bridge = `nl-${net.id.slice(0, 12)}`;
      const lost = await c.newSandbox("c-lost");
      const lostKey = lost.key!;
      const externalNs = join(runDir, "kept-ns");
      makeNamespace(externalNs);
      const kept = await c.newSandbox("c-kept", { netns: externalNs });
      const connect = (sb: string) => c.run({ type: "network.connect", network: "front", sandbox: sb });
      const lostEp = (await connect("c-lost")).entity!.id;
      const keptEp = (await connect("c-kept")).entity!.id;

      // What a reboot does to netledger's kernel objects: the bridge, the veths, our namespace and the table go.
      sh("ip", ["link", "del", bridge]);
      sh("ip", ["link", "del", `nlv${keptEp.slice(0, 12)}`]);
      sh("umount", [lostKey]);
      sh("nft", ["delete", "table", "inet", tableOf(c.databaseId)]);
      expect(links(externalNs).map((l) => l.ifname)).toEqual(["lo"]);

      const report = await c.reprogram();
      expect(report).toEqual({ networks: [net.id], removedSandboxes: [lost.id] });

      expect(links().find((l) => l.ifname === bridge)?.ifalias).toBe(`netledger/${c.databaseId}/network/${net.id}`);
      expect(links(externalNs).find((l) => l.ifname === "eth0")?.ifalias).toBe(`netledger/${c.databaseId}/endpoint/${keptEp}`);
      expect(links().find((l) => l.ifname === `nlv${keptEp.slice(0, 12)}`)?.master).toBe(bridge);
      expect(nftTables()).toContain(tableOf(c.databaseId));
      expect(c.endpoint(keptEp)?.view()).toMatchObject({ state: "joined", sandbox: kept.id });
      expect(c.endpoint(lostEp)).toBeUndefined();
      expect(c.sandbox("c-lost")).toBeUndefined();
      expect(existsSync(lostKey)).toBe(false);
      expect(existsSync(join(runDir, "sandboxes", lost.id))).toBe(false);

      const types: string[] = [];
      for await (const e of c.events({ since: 1 })) types.push(e.type);
      expect(types).toContain("network.reprogrammed");
      expect(types).toContain("endpoint.reprogrammed");
      expect((await c.gc({ dryRun: true })).found).toEqual([]);
      expect(c.verify().ok).toBe(true);

      // Run again with nothing lost: every call finds what exists, and nothing is removed.
      expect(await c.reprogram()).toEqual({ networks: [net.id], removedSandboxes: [] });
      expect(linksOf(c.databaseId)).toHaveLength(2);
    } finally {
      await c.close();
    }
  });
});
