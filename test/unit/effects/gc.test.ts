import { describe, expect, it } from "vitest";
import type { Garbage, GarbageCollector } from "../../../src/drivers/contract.js";
import { emptyState } from "../../../src/domain/state.js";
import { collectGarbage } from "../../../src/effects/gc.js";

const ctx = { state: emptyState(), databaseId: "db" };

/** A collector that finds `found` and records what it was asked to remove, failing on names in `stuck`. */
function collector(found: Garbage[], log: string[], stuck: string[] = []): GarbageCollector {
  return {
    async find() {
      log.push(`find ${found.map((g) => g.name).join(",")}`);
      return found;
    },
    async remove(_ctx, gs) {
      log.push(`remove ${gs.map((g) => g.name).join(",")}`);
      return gs.filter((g) => stuck.includes(g.name)).map((g) => `${g.name}: busy`);
    },
  };
}

const g = (kind: Garbage["kind"], name: string, where?: string): Garbage => ({ kind, name, reason: "r", ...(where ? { where } : {}) });

describe("netledger gc over the driver layer's collectors", () => {
  it("lists from the host's links inwards whatever collector found them, and a dry run removes nothing", async () => {
    const log: string[] = [];
    const bridge = collector([g("link", "nl-1"), g("nftables-rule", "ports handle 3", "inet t")], log);
    const sandboxes = collector([g("link", "eth5", "/ns/a"), g("namespace", "/ns/b"), g("sandbox-files", "/f/c")], log);
    const r = await collectGarbage([bridge, sandboxes], ctx, true);
    expect(r.found.map((x) => x.name)).toEqual(["nl-1", "eth5", "/ns/b", "ports handle 3", "/f/c"]);
    expect(r).toMatchObject({ dryRun: true, errors: [] });
    expect(log).toEqual(["find nl-1,ports handle 3", "find eth5,/ns/b,/f/c"]);
  });

  it("has every collector find before any removes, each removing only its own, and gathers what failed", async () => {
    const log: string[] = [];
    const a = collector([g("link", "nl-1")], log, ["nl-1"]);
    const none = collector([], log);
    const b = collector([g("namespace", "/ns/b")], log);
    const r = await collectGarbage([a, none, b], ctx, false);
    expect(log).toEqual(["find nl-1", "find ", "find /ns/b", "remove nl-1", "remove /ns/b"]);
    expect(r.errors).toEqual(["nl-1: busy"]);
  });
});
