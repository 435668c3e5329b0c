import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { netnsSandboxDriver } from "../../../src/drivers/netns/index.js";
import { placeInterface } from "../../../src/drivers/netns/iproute.js";
import { ownerAlias } from "../../../src/drivers/netns/ownership.js";
import { cleanupKernel, inNs, isNamespaceFile, isRoot, links, makeNamespace, needsRoot, randomId, sh, testDatabaseId } from "../../helpers/kernel.js";

const teardown: (() => void)[] = [];
afterEach(() => {
  while (teardown.length) teardown.pop()!();
});

function setup() {
  const databaseId = testDatabaseId();
  const runDir = mkdtempSync(join(tmpdir(), "netledger-netns-"));
  teardown.push(() => cleanupKernel(databaseId, runDir));
  const call = { effectId: 1, attempt: 1, databaseId };
  return { databaseId, runDir, call, nsDir: join(runDir, "netns"), driver: netnsSandboxDriver() };
}

describe.skipIf(!isRoot)(`the netns sandbox driver (${needsRoot})`, () => {
  it("makes a namespace with loopback up and an owner file, finds it when asked again, and deletes it twice", async () => {
    const { databaseId, call, nsDir, driver } = setup();
    const id = randomId();
    const key = join(nsDir, id);
    await driver.createSandbox({ sandboxId: id, key, create: true }, call);
    expect(isNamespaceFile(key)).toBe(true);
    expect(readFileSync(`${key}.owner`, "utf8").trim()).toBe(databaseId);
    expect(links(key).find((l) => l.ifname === "lo")?.flags).toContain("UP");

    // Loopback taken down out of band comes back on a repeated create; the namespace is the same one.
    inNs(key, "ip", ["link", "set", "lo", "down"]);
    await driver.createSandbox({ sandboxId: id, key, create: true }, call);
    expect(links(key).find((l) => l.ifname === "lo")?.flags).toContain("UP");

    await driver.deleteSandbox({ sandboxId: id, key }, call);
    expect(existsSync(key)).toBe(false);
    expect(existsSync(`${key}.owner`)).toBe(false);
    await driver.deleteSandbox({ sandboxId: id, key }, call);
  });

  it("finishes a namespace that a crash left as a bare file", async () => {
    const { databaseId, call, nsDir, driver } = setup();
    const id = randomId();
    const key = join(nsDir, id);
    sh("mkdir", ["-p", nsDir]);
    writeFileSync(`${key}.owner`, databaseId + "\n");
    writeFileSync(key, "");
    await driver.createSandbox({ sandboxId: id, key, create: true }, call);
    expect(isNamespaceFile(key)).toBe(true);
  });

  it("only checks a --netns namespace, never deletes it, and refuses a path that is not one", async () => {
    const { call, runDir, driver } = setup();
    const external = join(runDir, "external-ns");
    makeNamespace(external);
    const id = randomId();
    await driver.createSandbox({ sandboxId: id, key: external, create: false }, call);
    await driver.deleteSandbox({ sandboxId: id, key: external }, call);
    expect(isNamespaceFile(external)).toBe(true);

    const plain = join(runDir, "plain-file");
    writeFileSync(plain, "");
    await expect(driver.createSandbox({ sandboxId: id, key: plain, create: false }, call)).rejects.toMatchObject({
      code: "NotFound",
      message: expect.stringMatching(/is not a network namespace/),
    });
  });

  it("refuses to touch a namespace another database made", async () => {
    const { call, nsDir, driver } = setup();
    const id = randomId();
    const key = join(nsDir, id);
    await driver.createSandbox({ sandboxId: id, key, create: true }, { ...call, databaseId: call.databaseId.replace(/.$/, "x") });
    await expect(driver.deleteSandbox({ sandboxId: id, key }, call)).resolves.toBeUndefined();
    expect(isNamespaceFile(key)).toBe(true);
    await expect(driver.createSandbox({ sandboxId: id, key, create: true }, call)).rejects.toMatchObject({ code: "Forbidden" });
  });
});

describe.skipIf(!isRoot)(`placeInterface, the primitives the remote driver reuses (${needsRoot})`, () => {
  it("moves a host link into a namespace, renames it and sets its alias, MAC, MTU, addresses and routes", async () => {
    const { databaseId, runDir } = setup();
    const ns = join(runDir, "target");
    makeNamespace(ns);
    const id = randomId();
    const alias = ownerAlias({ databaseId, kind: "endpoint", id });
    const host = `nlt${id.slice(0, 8)}`;
    const src = `nlu${id.slice(0, 8)}`;
    // The host end carries the alias too, so teardown finds it whatever happens.
    sh("ip", ["link", "add", host, "alias", alias, "type", "veth", "peer", "name", src]);
    await placeInterface(src, ns, {
      name: "eth7",
      alias,
      mac: "02:42:0a:d6:00:05",
      mtu: 1400,
      addresses: ["10.214.0.5/24", "fd42:214::5/64"],
      gateway: "10.214.0.1",
      gatewayIPv6: "fd42:214::1",
      routes: [{ destination: "10.215.0.0/16", nextHop: "10.214.0.9" }],
    });
    const eth = links(ns).find((l) => l.ifname === "eth7")!;
    expect(eth).toMatchObject({ ifalias: alias, address: "02:42:0a:d6:00:05", mtu: 1400 });
    expect(eth.flags).toContain("UP");
    expect(links().some((l) => l.ifname === src)).toBe(false);
    const addrs = inNs(ns, "ip", ["-br", "addr", "show", "eth7"]);
    expect(addrs).toMatch(/10\.214\.0\.5\/24/);
    expect(addrs).toMatch(/fd42:214::5\/64/);
    const v4 = inNs(ns, "ip", ["-4", "route", "show"]);
    expect(v4).toMatch(/default via 10\.214\.0\.1 dev eth7/);
    expect(v4).toMatch(/10\.215\.0\.0\/16 via 10\.214\.0\.9 dev eth7/);
    expect(inNs(ns, "ip", ["-6", "route", "show"])).toMatch(/default via fd42:214::1 dev eth7/);
  });

  it("refuses an interface name that ip would split or that Linux cannot hold, before running anything", async () => {
    await expect(placeInterface("eth0; rm", "/nonexistent", { name: "eth0", addresses: [] })).rejects.toMatchObject({
      code: "InvalidParameter",
      message: expect.stringMatching(/not a usable interface name/),
    });
    await expect(placeInterface("veth0", "/nonexistent", { name: "a-name-longer-than-15", addresses: [] })).rejects.toMatchObject({
      code: "InvalidParameter",
    });
  });
});
