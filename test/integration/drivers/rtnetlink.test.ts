import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deleteInside, linksInside } from "../../../src/drivers/kernel/namespaceLinks.js";
import { addVeth, deleteLink, getLink, setLink } from "../../../src/drivers/kernel/rtnetlink.js";
import { isRoot, links, makeNamespace, needsRoot, sh, teardownEach } from "../../helpers/kernel.js";
import { tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();

/** The rtnetlink primitives against `ip`, which is what the caller would see. */
describe.skipIf(!isRoot)(`links through rtnetlink from the process (${needsRoot})`, () => {
  function setup() {
    const ns = join(tempDir("netledger-run-"), "ns");
    makeNamespace(ns);
    teardown(() => sh("umount", [ns]));
    const name = `nlkt${randomBytes(3).toString("hex")}`;
    teardown(() => {
      try {
        sh("ip", ["link", "del", name]);
      } catch {
        /* gone */
      }
    });
    return { ns, name };
  }

  it("makes a veth pair whose peer is born in the namespace under its final name, lists it there, and deletes it", async () => {
    const { ns, name } = setup();
    sh("ip", ["link", "add", `${name}b`, "type", "bridge"]);
    teardown(() => sh("ip", ["link", "del", `${name}b`]));
    const bridge = (await getLink(`${name}b`))!;
    await addVeth({ name, master: bridge.index, peer: "eth0", peerNetns: ns, mtu: 1400 });
    const host = (await getLink(name))!;
    await setLink(host.index, { alias: "netledger-test/x", up: true });
    expect(links().find((l) => l.ifname === name)).toMatchObject({ ifalias: "netledger-test/x", master: `${name}b`, mtu: 1400 });
    expect(await getLink(name)).toMatchObject({ kind: "veth", master: `${name}b`, alias: "netledger-test/x", up: true });
    const inside = await linksInside(ns);
    expect(inside.map((l) => l.name).sort()).toEqual(links(ns).map((l) => l.ifname).sort());
    expect(inside.find((l) => l.name === "eth0")).toMatchObject({ kind: "veth", mtu: 1400 });

    await deleteLink(host.index);
    expect(await getLink(name)).toBeUndefined();
    expect(links(ns).map((l) => l.ifname)).not.toContain("eth0");
    // Deleting what is not there succeeds: a repeated call after a crash.
    await expect(deleteLink(host.index)).resolves.toBeUndefined();
  });

  it("moves a link into the namespace renamed, with its alias and MAC, and deletes it there from outside", async () => {
    const { ns, name } = setup();
    sh("ip", ["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
    const l = (await getLink(name))!;
    await setLink(l.index, { alias: "netledger-test/y", mac: "02:42:0a:01:02:03", netns: ns, name: "eth3" });
    expect(await getLink(name)).toBeUndefined();
    const moved = (await linksInside(ns)).find((x) => x.name === "eth3")!;
    expect(moved).toMatchObject({ alias: "netledger-test/y", mac: "02:42:0a:01:02:03" });
    await deleteInside(ns, moved.index);
    expect(links(ns).map((x) => x.ifname)).not.toContain("eth3");
  });

  it("answers undefined for a link that does not exist, and refuses a namespace path that cannot be opened", async () => {
    expect(await getLink("nlktnothere0")).toBeUndefined();
    await expect(linksInside("/nonexistent/ns")).rejects.toMatchObject({ code: "NotFound" });
  });
});
