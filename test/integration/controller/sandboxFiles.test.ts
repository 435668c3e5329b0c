import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SandboxFiles } from "../../../src/drivers/netns/files.js";
import { nullDriver } from "../../../src/drivers/null/index.js";
import { Controller, type NetworkDriver } from "../../../src/index.js";
import { isNamespaceFile, isRoot, needsRoot } from "../../helpers/kernel.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/** The null driver, but handing out addresses at CreateEndpoint as a driver without IPAM may: peers then have records. */
function addressingDriver(): NetworkDriver {
  let next = 2;
  return { ...nullDriver, createEndpoint: async () => ({ interface: { address: `10.9.0.${next++}/24` } }) };
}

async function open() {
  const runDir = tempDir();
  const c = await Controller.open({ db: tempDb(), runDir });
  c.registerDriver("addr", addressingDriver(), { dataScope: "local", sideEffects: true, usesIpam: false });
  return { c, runDir };
}

describe("each sandbox's hosts and resolv.conf, a projection of the state", () => {
  it("are written at create, list peers as they join and leave, and go with the sandbox", async () => {
    const { c, runDir } = await open();
    try {
      const n = await c.newNetwork("addr", "front");
      const web = await c.newSandbox("c-web", { netns: null, hostname: "web", extraHosts: [{ name: "registry", ip: "192.0.2.10" }] });
      const db = await c.newSandbox("c-db", { netns: null, hostname: "db" });
      expect(web.hostsPath).toBe(join(runDir, "sandboxes", web.id, "hosts"));
      expect(web.resolvConfPath).toBe(join(runDir, "sandboxes", web.id, "resolv.conf"));
      const hosts = (id: string) => readFileSync(join(runDir, "sandboxes", id, "hosts"), "utf8");
      expect(hosts(web.id)).toContain("192.0.2.10\tregistry\n");
      expect(readFileSync(join(runDir, "sandboxes", web.id, "owner"), "utf8").trim()).toBe(c.databaseId);

      const ew = await n.createEndpoint("web", { aliases: ["www"] });
      await ew.join(web);
      const ed = await n.createEndpoint("db");
      await ed.join(db);
      expect(hosts(web.id)).toContain("10.9.0.2\tweb\n");
      expect(hosts(web.id)).toContain("10.9.0.3\tdb\n");
      expect(hosts(db.id)).toContain("10.9.0.2\tweb www\n");

      await ed.leave(db);
      expect(hosts(web.id)).not.toContain("10.9.0.3");

      await db.delete();
      expect(existsSync(join(runDir, "sandboxes", db.id))).toBe(false);
    } finally {
      await c.close();
    }
  });

  it("never brings back the directory of a peer that another process deleted after this one's state was taken", async () => {
    const { c, runDir } = await open();
    try {
      const n = await c.newNetwork("addr", "front");
      const web = await c.newSandbox("c-web", { netns: null, hostname: "web" });
      const db = await c.newSandbox("c-db", { netns: null, hostname: "db" });
      const ew = await n.createEndpoint("web");
      await ew.join(web);
      const ed = await n.createEndpoint("db");
      await ed.join(db);
      const stale = c.current(); // still has c-db, as a process that has not yet folded its deletion
      // Another process's DEL removed c-db and its files; this one then rewrites the network's peers.
      const dbDir = join(runDir, "sandboxes", db.id);
      rmSync(dbDir, { recursive: true });
      const files = new SandboxFiles(runDir, c.databaseId);
      files.update(stale, { networks: new Set([n.id]), sandboxes: new Set([web.id]) });
      expect(existsSync(dbDir)).toBe(false);
      expect(readFileSync(join(runDir, "sandboxes", web.id, "hosts"), "utf8")).toContain("\tdb\n");
      // A sandbox the commit is about is written whatever its directory's fate.
      files.update(stale, { networks: new Set(), sandboxes: new Set([db.id]) });
      expect(existsSync(join(dbDir, "hosts"))).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("are rebuilt by recover, whatever happened to them", async () => {
    const { c, runDir } = await open();
    try {
      const sb = await c.newSandbox("c1", { netns: null, hostname: "one", dns: ["192.0.2.53"] });
      const dir = join(runDir, "sandboxes", sb.id);
      rmSync(join(dir, "hosts"));
      writeFileSync(join(dir, "resolv.conf"), "nameserver 6.6.6.6\n");
      const report = await c.recover();
      expect(report.projectionErrors).toBeUndefined();
      expect(readFileSync(join(dir, "hosts"), "utf8")).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
      expect(readFileSync(join(dir, "resolv.conf"), "utf8")).toContain("nameserver 192.0.2.53\n");
    } finally {
      await c.close();
    }
  });

  it("refuses a --dns or --add-host that is not an IP, and a hostname the files cannot hold, recording nothing", async () => {
    const { c } = await open();
    try {
      await expect(c.newSandbox("c1", { netns: null, dns: ["dns.example"] })).rejects.toThrow(/--dns "dns.example" is not an IP address/);
      await expect(c.newSandbox("c1", { netns: null, extraHosts: [{ name: "a", ip: "1.2.3" }] })).rejects.toThrow(/"1.2.3" is not an IP address/);
      await expect(c.newSandbox("c1", { netns: null, hostname: "two words" })).rejects.toThrow(/invalid hostname "two words"/);
      expect(c.headOf().seq).toBe(0);
    } finally {
      await c.close();
    }
  });
});

describe.skipIf(!isRoot)(`sandboxes with namespaces of their own (${needsRoot})`, () => {
  it("get a namespace under the run directory at create, and lose it at rm", async () => {
    const { c, runDir } = await open();
    try {
      const sb = await c.newSandbox("c1", { hostname: "one" });
      const key = join(runDir, "netns", sb.id);
      expect(sb.view()).toMatchObject({ key, state: "ready" });
      expect(isNamespaceFile(key)).toBe(true);
      expect(readFileSync(`${key}.owner`, "utf8").trim()).toBe(c.databaseId);
      await sb.delete();
      expect(existsSync(key)).toBe(false);
      expect(existsSync(`${key}.owner`)).toBe(false);
      expect(existsSync(join(runDir, "sandboxes", sb.id))).toBe(false);
    } finally {
      await c.close();
    }
  });
});

describe.skipIf(isRoot)("without root", () => {
  it("refuses a sandbox a namespace of its own, and a bridge network, naming the way out and recording nothing", async () => {
    const { c } = await open();
    try {
      await expect(c.newSandbox("c1")).rejects.toThrow(/use --host-netns/);
      await expect(c.newNetwork("bridge", "n1")).rejects.toThrow(/needs root; run netledger as root, or use -d null/);
      expect(c.headOf().seq).toBe(0);
    } finally {
      await c.close();
    }
  });
});
