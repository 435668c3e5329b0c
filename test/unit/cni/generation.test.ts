import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CniApi } from "../../../src/cni/api.js";
import { generation, sandboxIdOf } from "../../../src/cni/attach.js";
import { parseArgs, parseConf } from "../../../src/cni/config.js";
import { CniError } from "../../../src/cni/spec.js";

/** An API whose log holds events on exactly these streams. */
function logWith(streams: Set<string>): CniApi {
  return {
    events: async function* (q?: { stream?: string }) {
      if (q?.stream !== undefined && streams.has(q.stream)) yield { seq: 1 };
    },
  } as unknown as CniApi;
}

describe("the generation of a CNI attachment", () => {
  const idOf = (g: number) => sandboxIdOf("c1", g);

  it("is the first never used when nothing is alive, whatever how many DELs came before", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), async (used) => {
        const log = new Set(Array.from({ length: used }, (_, g) => idOf(g)));
        expect(await generation(logWith(log), idOf, undefined)).toBe(idOf(used));
      }),
      { numRuns: 40 },
    );
  });

  it("is the alive one when the last used generation is alive (a retried ADD)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), async (used) => {
        const log = new Set(Array.from({ length: used }, (_, g) => idOf(g)));
        expect(await generation(logWith(log), idOf, idOf(used - 1))).toBe(idOf(used - 1));
      }),
      { numRuns: 40 },
    );
  });
});

describe("a CNI config and CNI_ARGS", () => {
  it("reads KEY=VALUE pairs and refuses a pair without '='", () => {
    expect(parseArgs("IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.0.0.5")).toEqual({ IgnoreUnknown: "1", K8S_POD_NAME: "web", IP: "10.0.0.5" });
    expect(() => parseArgs("IP")).toThrow(CniError);
  });

  it("takes podman's aliases map for its own network, and names the network after the CNI name by default", () => {
    const c = parseConf(JSON.stringify({ cniVersion: "0.4.0", name: "web", type: "netledger-cni", runtimeConfig: { aliases: { web: ["a", "b"], other: ["x"] } } }));
    expect(c.network).toBe("web");
    expect(c.runtime.aliases).toEqual(["a", "b"]);
  });

  it("refuses both host and db", () => {
    expect(() => parseConf(JSON.stringify({ cniVersion: "1.0.0", name: "web", host: "unix:///x", db: "/y" }))).toThrow(/not both/);
  });
});
