import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addVeth, deleteLink, getLink } from "../../../src/drivers/kernel/rtnetlink.js";
import { deletesFromWorker, stopUnlinkWorker, unlinkWorkerReady } from "../../../src/drivers/kernel/unlink.js";
import { isRoot, links, makeNamespace, needsRoot, sh, teardownEach } from "../../helpers/kernel.js";
import { tempDir } from "../../helpers/tmp.js";

const teardown = teardownEach();
afterAll(() => stopUnlinkWorker());

describe.skipIf(!isRoot)(`link deletes off the event loop (${needsRoot})`, () => {
  it("deletes link after link, each gone with its sandbox peer when the call returns, from the worker once it runs", async () => {
    await stopUnlinkWorker(); // a fresh count: the first delete in-line, the later ones from the worker
    const ns = join(tempDir("netledger-run-"), "ns");
    makeNamespace(ns);
    teardown(() => sh("umount", [ns]));
    const prefix = `nlku${randomBytes(2).toString("hex")}`;
    teardown(() => {
      for (const l of links().filter((l) => l.ifname.startsWith(prefix))) sh("ip", ["link", "del", l.ifname]);
    });
    const before = deletesFromWorker();
    for (let i = 0; i < 6; i++) {
      const name = `${prefix}${i}`;
      await addVeth({ name, peer: `eth${i}`, peerNetns: ns });
      const link = (await getLink(name))!;
      await deleteLink(link.index);
      expect(links().some((l) => l.ifname === name)).toBe(false);
      expect(links(ns).some((l) => l.ifname === `eth${i}`)).toBe(false);
      // Again, and for an index nothing has: not there is done.
      await deleteLink(link.index);
      // The second delete starts the worker; on a loaded machine it may take a while to be ready.
      for (let t = 0; i === 1 && t < 600 && !unlinkWorkerReady(); t++) await new Promise((r) => setTimeout(r, 50));
    }
    expect(deletesFromWorker()).toBeGreaterThan(before);
  });
});
