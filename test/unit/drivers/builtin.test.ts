import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installBuiltins } from "../../../src/drivers/builtin.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { tempDir } from "../../helpers/tmp.js";

const databaseId = "0123456789abcdef0123456789abcdef";

describe("the built-in parts", () => {
  it("without root: null and host, the sandbox files and their garbage, and bridge refused as Forbidden", async () => {
    const registry = new DriverRegistry();
    const runDir = tempDir();
    const b = await installBuiltins(registry, { databaseId, runDir, root: false });
    expect(registry.list().map((d) => d.name)).toEqual(["host", "null"]);
    expect(registry.sandboxDriver()).toBeUndefined();
    expect(registry.projections().map((p) => p.name)).toEqual(["sandbox files"]);
    expect(registry.collectors()).toHaveLength(1);
    expect(b.sandboxFiles.hostsPath("s1")).toBe(join(runDir, "sandboxes", "s1", "hosts"));
    expect(b.sandboxFiles.resolvConfPath("s1")).toBe(join(runDir, "sandboxes", "s1", "resolv.conf"));
    expect(b.unavailable("bridge")).toMatchObject({ code: "Forbidden", message: expect.stringMatching(/needs root/) });
    expect(b.unavailable("null")).toBeUndefined();
    expect(b.unavailable("weave")).toBeUndefined();
    expect(b.namespaceExists(join(runDir, "netns", "nothing"))).toBe(false);
  });

  it("as root: the bridge and overlay drivers and the netns sandbox driver too, files projected before the nftables table", async () => {
    const registry = new DriverRegistry();
    const b = await installBuiltins(registry, { databaseId, runDir: tempDir(), root: true });
    expect(registry.list().map((d) => d.name)).toEqual(["bridge", "host", "null", "overlay"]);
    expect(registry.get("overlay")?.capability.dataScope).toBe("global");
    expect(registry.sandboxDriver()?.exists).toBeTypeOf("function");
    expect(registry.projections().map((p) => p.name)).toEqual(["sandbox files", "nftables"]);
    // The bridge's, the overlay's and the sandbox layer's, the latter once although the sandbox driver answers for it too.
    expect(registry.collectors()).toHaveLength(3);
    expect(registry.collectors()).toContain(registry.get("overlay")?.driver.gc);
    expect(registry.collectors()).toContain(registry.get("bridge")?.driver.gc);
    expect(registry.collectors()).toContain(registry.sandboxDriver()?.gc);
    expect(b.unavailable("bridge")).toBeUndefined();
  });

  it("as root without nft on the PATH: no bridge driver and no nftables table, and bridge refused naming nft", async () => {
    const bin = tempDir();
    symlinkSync("/bin/true", join(bin, "ip"));
    const registry = new DriverRegistry();
    const b = await installBuiltins(registry, { databaseId, runDir: tempDir(), root: true, path: bin });
    expect(registry.list().map((d) => d.name)).toEqual(["host", "null"]);
    expect(registry.sandboxDriver()).toBeDefined();
    expect(registry.projections().map((p) => p.name)).toEqual(["sandbox files"]);
    expect(b.unavailable("bridge")).toMatchObject({ code: "NotFound", message: expect.stringMatching(/needs nft \(nftables\), not found in PATH/) });
    expect(b.unavailable("overlay")).toMatchObject({ code: "NotFound", message: expect.stringMatching(/overlay driver needs nft \(nftables\) and bridge \(iproute2\)/) });
    expect(b.unavailable("null")).toBeUndefined();
  });

  it("asks an embedder's sandbox driver whether a namespace exists when it can say", async () => {
    const registry = new DriverRegistry();
    const b = await installBuiltins(registry, { databaseId, runDir: tempDir(), root: false });
    registry.registerSandboxDriver({ createSandbox: async () => {}, deleteSandbox: async () => {}, exists: (key) => key === "/ns/a" });
    expect(b.namespaceExists("/ns/a")).toBe(true);
    expect(b.namespaceExists("/ns/b")).toBe(false);
  });
});
