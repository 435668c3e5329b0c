import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import {
  cleanupKernel,
  databaseIdOf,
  inNs,
  isNamespaceFile,
  isRoot,
  links,
  linksOf,
  makeNamespace,
  needsRoot,
  nftTables,
  randomId,
  sh,
  tableOf,
  teardownEach,
  testDatabaseId,
  kernelReady,
  needsKernel,
} from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();


interface Found {
  kind: string;
  name: string;
  where?: string;
}

describe.skipIf(!kernelReady)(`netledger gc (${needsKernel})`, () => {
  it("finds and removes what carries this database's id and the state does not know, and nothing else", async () => {
    const db = tempDb();
    const runDir = tempDir("netledger-run-");
    const nl = (...args: string[]) => runCli(["--db", db, ...args], { env: { NETLEDGER_RUN_DIR: runDir } });
    const netId = (await nl("network", "create", "front")).stdout.trim();
    const mine = databaseIdOf(db);
    const other = testDatabaseId();
    teardown(() => cleanupKernel(mine, runDir));
    teardown(() => cleanupKernel(other));
    const sbId = (await nl("sandbox", "create", "c1")).stdout.trim();
    expect((await nl("network", "connect", "front", "c1")).code).toBe(0);
    const key = join(runDir, "netns", sbId);

    // Out of band, under netledger's prefixes: ours, another database's, and nobody's.
    const [strayNet, strayEp, foreignNet, unowned] = [randomId(), randomId(), randomId(), randomId()];
    const addLink = (name: string, alias?: string, ns?: string) => {
      const args = ["link", "add", name, "type", "bridge"];
      if (ns) inNs(ns, "ip", args);
      else sh("ip", args);
      if (alias) (ns ? (a: string[]) => inNs(ns, "ip", a) : (a: string[]) => sh("ip", a))(["link", "set", name, "alias", alias]);
    };
    addLink(`nl-${strayNet.slice(0, 12)}`, `netledger/${mine}/network/${strayNet}`);
    addLink(`nlv${strayEp.slice(0, 12)}`, `netledger/${mine}/endpoint/${strayEp}`);
    addLink(`nl-${foreignNet.slice(0, 12)}`, `netledger/${other}/network/${foreignNet}`);
    addLink(`nl-${unowned.slice(0, 12)}`);
    teardown(() => sh("ip", ["link", "del", `nl-${unowned.slice(0, 12)}`]));
    addLink("eth5", `netledger/${mine}/endpoint/${strayEp}`, key);
    sh("nft", ["add", "rule", "inet", tableOf(mine), "ports", "tcp", "dport", "9999", "dnat", "ip", "to", "10.9.9.9:99", "comment", `"endpoint:${strayEp}"`]);
    sh("nft", ["add", "table", "inet", tableOf(other)]);
    const strayNs = join(runDir, "netns", randomId());
    writeFileSync(`${strayNs}.owner`, mine + "\n");
    makeNamespace(strayNs);
    const foreignNs = join(runDir, "netns", randomId());
    writeFileSync(`${foreignNs}.owner`, other + "\n");
    makeNamespace(foreignNs);
    const strayFiles = join(runDir, "sandboxes", randomId());
    mkdirSync(strayFiles, { recursive: true });
    writeFileSync(join(strayFiles, "owner"), mine + "\n");

    const dry = await nl("gc", "--dry-run", "--json");
    expect(dry.code).toBe(0);
    const found = (JSON.parse(dry.stdout) as { found: Found[] }).found.map((f) => `${f.kind} ${f.name}${f.where ? ` in ${f.where}` : ""}`);
    expect(found).toHaveLength(6);
    expect(found).toEqual(
      expect.arrayContaining([
        `link nl-${strayNet.slice(0, 12)}`,
        `link nlv${strayEp.slice(0, 12)}`,
        `link eth5 in ${key}`,
        `namespace ${strayNs}`,
        expect.stringMatching(new RegExp(`^nftables-rule ports handle \\d+ in inet ${tableOf(mine)}$`)),
        `sandbox-files ${strayFiles}`,
      ]),
    );
    // A dry run removes nothing.
    expect(links().some((l) => l.ifname === `nl-${strayNet.slice(0, 12)}`)).toBe(true);

    const real = await nl("gc");
    expect(real.stderr).toBe("");
    expect(real.code).toBe(0);
    expect(JSON.parse((await nl("gc", "--dry-run", "--json")).stdout).found).toEqual([]);

    // Ours that the state knows is intact; another database's and nobody's are untouched.
    const kept = linksOf(mine).map((l) => l.ifname);
    expect(kept).toHaveLength(2);
    expect(kept).toEqual(expect.arrayContaining([`nl-${netId.slice(0, 12)}`, expect.stringMatching(/^nlv[0-9a-f]{12}$/)]));
    expect(links(key).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
    expect(links().some((l) => l.ifname === `nl-${foreignNet.slice(0, 12)}`)).toBe(true);
    expect(links().some((l) => l.ifname === `nl-${unowned.slice(0, 12)}`)).toBe(true);
    expect(nftTables()).toEqual(expect.arrayContaining([tableOf(mine), tableOf(other)]));
    expect(isNamespaceFile(foreignNs)).toBe(true);
    expect(isNamespaceFile(strayNs)).toBe(false);
  });
});
