import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configureInside, linksInside, loopbackUp, moveOut } from "../../../src/drivers/kernel/namespaceLinks.js";
import { getLink } from "../../../src/drivers/kernel/rtnetlink.js";
import { inNamespace, unbindNamespace } from "../../../src/drivers/kernel/setns.js";
import { inNs, isNamespaceFile, isRoot, links, makeNamespace, needsRoot, routes, sh, teardownEach } from "../../helpers/kernel.js";
import { tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();

/** rtnetlink inside a namespace from this process (setns through koffi), checked against `ip` run there. */
describe.skipIf(!isRoot)(`work inside a namespace without a process (${needsRoot})`, () => {
  function namespace(): string {
    const ns = join(tempDir("netledger-run-"), "ns");
    makeNamespace(ns);
    teardown(() => sh("umount", [ns]));
    return ns;
  }

  it("addresses a link, sets it up and routes through it, and doing it again changes nothing", async () => {
    const ns = namespace();
    inNs(ns, "ip", ["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"]);
    const cfg = {
      name: "eth0",
      alias: "netledger-test/inside",
      mac: "02:42:0a:09:00:05",
      mtu: 1400,
      addresses: ["10.209.0.5/24", "fd09::5/64"],
      routes: [{ destination: "default", nextHop: "10.209.0.1" }, { destination: "10.210.0.0/16", nextHop: "10.209.0.254" }, { destination: "default", nextHop: "fd09::1" }],
    };
    await configureInside(ns, cfg);
    await configureInside(ns, cfg);
    const eth0 = links(ns).find((l) => l.ifname === "eth0")!;
    expect(eth0).toMatchObject({ ifalias: "netledger-test/inside", address: "02:42:0a:09:00:05", mtu: 1400 });
    expect(eth0.flags).toContain("UP");
    const addrs = JSON.parse(inNs(ns, "ip", ["-j", "addr", "show", "dev", "eth0"])) as { addr_info: { local: string; prefixlen: number }[] }[];
    expect(addrs[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(expect.arrayContaining(["10.209.0.5/24", "fd09::5/64"]));
    expect(addrs[0]!.addr_info.filter((a) => a.local === "10.209.0.5")).toHaveLength(1);
    expect(routes(ns)).toMatch(/default via 10\.209\.0\.1 dev eth0/);
    expect(routes(ns)).toMatch(/10\.210\.0\.0\/16 via 10\.209\.0\.254 dev eth0/);
    expect(routes(ns, "-6")).toMatch(/default via fd09::1 dev eth0/);
  });

  it("refuses a bad address before changing anything, and names a link that is not there", async () => {
    const ns = namespace();
    inNs(ns, "ip", ["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"]);
    await expect(configureInside(ns, { name: "eth0", alias: "netledger-test/x", addresses: ["10.209.0.5/24", "10.209.0.300/24"] })).rejects.toMatchObject({
      code: "InvalidParameter",
      message: expect.stringContaining("10.209.0.300/24"),
    });
    expect(links(ns).find((l) => l.ifname === "eth0")?.ifalias).toBeUndefined();
    await expect(configureInside(ns, { name: "eth9", addresses: [] })).rejects.toMatchObject({ code: "NotFound", message: expect.stringContaining("eth9") });
  });

  it("moves a link out of the namespace under its host name", async () => {
    const ns = namespace();
    const name = `nlkm${randomBytes(3).toString("hex")}`;
    inNs(ns, "ip", ["link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
    teardown(() => {
      try {
        sh("ip", ["link", "del", name]);
      } catch {
        /* gone */
      }
    });
    await moveOut(ns, "eth1", name);
    expect(await getLink(name)).toMatchObject({ name });
    expect((await linksInside(ns)).map((l) => l.name)).not.toContain("eth1");
  });

  it("makes a namespace bound to a file with loopback up, and unbinds it", async () => {
    const path = join(tempDir("netledger-run-"), "made");
    writeFileSync(path, "");
    let bound = true;
    teardown(() => {
      if (bound) sh("umount", [path]);
    });
    await loopbackUp(path, true);
    expect(isNamespaceFile(path)).toBe(true);
    expect(links(path).map((l) => l.ifname)).toEqual(["lo"]);
    expect(links(path)[0]!.flags).toContain("UP");
    // This process is back in its own namespace: its links are the host's.
    expect((await getLink("lo"))?.name).toBe("lo");
    expect(links().length).toBeGreaterThan(1);
    unbindNamespace(path);
    bound = false;
    expect(isNamespaceFile(path)).toBe(false);
    expect(existsSync(path)).toBe(true);
    // Unbinding what is not bound is done already.
    expect(() => unbindNamespace(path)).not.toThrow();
  });

  it("refuses a path that is not a namespace and stays in its own", async () => {
    const path = join(tempDir("netledger-run-"), "plain");
    writeFileSync(path, "");
    expect(() => inNamespace(path, () => 1)).toThrow(/enter namespace/);
    expect(() => inNamespace(join(path, "missing"), () => 1)).toThrow(/cannot be opened/);
    expect(links().length).toBeGreaterThan(1);
    expect((await getLink("lo"))?.name).toBe("lo");
  });
});
