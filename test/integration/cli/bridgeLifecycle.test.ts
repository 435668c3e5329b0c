import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cleanupKernel,
  cliAt,
  databaseIdOf,
  isNamespaceFile,
  isRoot,
  links,
  linksOf,
  needsRoot,
  nftTables,
  sh,
  tableOf,
  teardownEach,
  kernelReady,
  needsKernel,
} from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();

function setup() {
  const db = tempDb();
  const runDir = tempDir("netledger-run-");
  const cli = cliAt(db, runDir);
  const nl = async (...args: string[]) => (await cli(...args)).trim();
  return { db, runDir, nl };
}

describe.skipIf(!kernelReady)(`a bridge network through the CLI, on the real kernel (${needsKernel})`, () => {
  it("makes a bridge, a namespace and a veth into it, and after disconnect, sandbox rm and network rm leaves no link, namespace, rule or file", async () => {
    const { db, runDir, nl } = setup();
    const netId = await nl("network", "create", "front");
    const databaseId = databaseIdOf(db);
    teardown(() => cleanupKernel(databaseId, runDir));
    const bridge = `nl-${netId.slice(0, 12)}`;
    expect(links().find((l) => l.ifname === bridge)?.ifalias).toBe(`netledger/${databaseId}/network/${netId}`);
    expect(nftTables()).toContain(tableOf(databaseId));

    const sbId = await nl("sandbox", "create", "--hostname", "web", "c1");
    const key = join(runDir, "netns", sbId);
    expect(isNamespaceFile(key)).toBe(true);
    await nl("network", "connect", "front", "c1");
    const eth0 = links(key).find((l) => l.ifname === "eth0");
    expect(eth0?.ifalias).toMatch(new RegExp(`^netledger/${databaseId}/endpoint/[0-9a-f]{64}$`));
    const epId = eth0!.ifalias!.split("/").at(-1)!;
    expect(links().find((l) => l.ifname === `nlv${epId.slice(0, 12)}`)?.master).toBe(bridge);
    expect(JSON.parse(await nl("endpoint", "inspect", "front", "c1", "--json"))).toMatchObject({ id: epId, state: "joined", sandbox: sbId });
    expect(existsSync(join(runDir, "sandboxes", sbId, "hosts"))).toBe(true);

    await nl("network", "disconnect", "front", "c1");
    expect(links(key).map((l) => l.ifname)).toEqual(["lo"]);
    await nl("sandbox", "rm", "c1");
    await nl("network", "rm", "front");

    expect(linksOf(databaseId)).toEqual([]);
    expect(nftTables()).not.toContain(tableOf(databaseId));
    expect(readdirSync(join(runDir, "netns"))).toEqual([]);
    expect(readdirSync(join(runDir, "sandboxes"))).toEqual([]);
    expect(sh("ip", ["-br", "link"])).not.toContain(bridge);
  });
});
