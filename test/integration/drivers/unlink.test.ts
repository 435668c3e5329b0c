import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { libc } from "../../../src/drivers/kernel/libc.js";
import { addVeth, deleteLink, getLink } from "../../../src/drivers/kernel/rtnetlink.js";
import { deletesOffLoop } from "../../../src/drivers/kernel/unlink.js";
import { isRoot, links, makeNamespace, needsRoot, sh, teardownEach } from "../../helpers/kernel.js";
import { tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();

/** A namespace of the test's and a prefix for its links, both removed after. */
function setup(): { ns: string; prefix: string } {
  libc(); // loaded, as any namespace's work loads it: deletes go off the loop from now on
  const ns = join(tempDir("netledger-run-"), "ns");
  makeNamespace(ns);
  teardown(() => sh("umount", [ns]));
  const prefix = `nlku${randomBytes(2).toString("hex")}`;
  teardown(() => {
    for (const l of links().filter((l) => l.ifname.startsWith(prefix))) sh("ip", ["link", "del", l.ifname]);
  });
  return { ns, prefix };
}

describe.skipIf(!isRoot)(`link deletes off the event loop (${needsRoot})`, () => {
  it("deletes link after link off the event loop, each gone with its sandbox peer when the call returns", async () => {
    const { ns, prefix } = setup();
    const before = deletesOffLoop();
    for (let i = 0; i < 6; i++) {
      const name = `${prefix}${i}`;
      await addVeth({ name, peer: `eth${i}`, peerNetns: ns });
      const link = (await getLink(name))!;
      await deleteLink(link.index);
      expect(links().some((l) => l.ifname === name)).toBe(false);
      expect(links(ns).some((l) => l.ifname === `eth${i}`)).toBe(false);
      // Again, and for an index nothing has: not there is done.
      await deleteLink(link.index);
    }
    expect(deletesOffLoop()).toBe(before + 12);
  });

  it("deletes several links asked for at once, each exactly once", async () => {
    const { ns, prefix } = setup();
    const made = [];
    for (let i = 0; i < 4; i++) {
      await addVeth({ name: `${prefix}${i}`, peer: `eth${i}`, peerNetns: ns });
      made.push((await getLink(`${prefix}${i}`))!.index);
    }
    await Promise.all(made.map((index) => deleteLink(index)));
    expect(links().filter((l) => l.ifname.startsWith(prefix))).toEqual([]);
    expect(links(ns).map((l) => l.ifname)).toEqual(["lo"]);
  });
});
