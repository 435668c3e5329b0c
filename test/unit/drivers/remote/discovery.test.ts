import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lookupPlugin, pluginDirs, scanPlugins } from "../../../../src/drivers/remote/discovery.js";
import { tempDir } from "../../../helpers/tmp.js";

const servers: net.Server[] = [];
afterEach(async () => {
  while (servers.length) await new Promise((r) => servers.pop()!.close(r));
});

/** A listening UNIX socket at `path`. */
async function socketAt(path: string): Promise<void> {
  const s = net.createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(path, () => r()));
}

describe("plugin discovery (plugin-protocol.md §9)", () => {
  it("§9.1 reads a .spec file's URL, in NAME.spec and NAME/NAME.spec, and refuses one without a scheme", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "echo.spec"), "  unix:///tmp/x/echo.sock\n");
    expect(lookupPlugin("echo", [dir])).toMatchObject({ name: "echo", addr: "unix:///tmp/x/echo.sock" });
    const sub = tempDir();
    mkdirSync(join(sub, "echo"));
    writeFileSync(join(sub, "echo", "echo.spec"), "unix:///tmp/x/echo.sock");
    expect(lookupPlugin("echo", [sub])).toMatchObject({ name: "echo", addr: "unix:///tmp/x/echo.sock" });
    writeFileSync(join(dir, "foo.spec"), "tcp://localhost:8080");
    expect(lookupPlugin("foo", [dir])?.addr).toBe("tcp://localhost:8080");
    writeFileSync(join(dir, "bar.spec"), "localhost:8080");
    expect(() => lookupPlugin("bar", [dir])).toThrow(/Unknown protocol/);
  });

  it("§9.2 names a .json plugin after its file, not its Name, and keeps its TLS files", () => {
    const dir = tempDir();
    const spec = { Name: "plugin-example", Addr: "https://example.com/docker/plugin", TLSConfig: { CAFile: "/a", CertFile: "/b", KeyFile: "/c" } };
    writeFileSync(join(dir, "example.json"), JSON.stringify(spec));
    expect(lookupPlugin("example", [dir])).toMatchObject({
      name: "example",
      addr: "https://example.com/docker/plugin",
      tls: { caFile: "/a", certFile: "/b", keyFile: "/c", insecureSkipVerify: false },
    });
    expect(lookupPlugin("plugin-example", [dir])).toBeUndefined();
    writeFileSync(join(dir, "plain.json"), JSON.stringify({ Addr: "https://example.com" }));
    expect(lookupPlugin("plain", [dir])!.tls).toBeUndefined();
  });

  it("§9.3 finds a live socket as NAME.sock or NAME/NAME.sock, the same each time, and skips a regular file of that name", async () => {
    const dir = tempDir();
    await socketAt(join(dir, "echo.sock"));
    const first = lookupPlugin("echo", [dir]);
    expect(first?.addr).toBe(`unix://${join(dir, "echo.sock")}`);
    expect(lookupPlugin("echo", [dir])).toEqual(first);
    mkdirSync(join(dir, "sub"));
    await socketAt(join(dir, "sub", "sub.sock"));
    expect(lookupPlugin("sub", [dir])?.addr).toBe(`unix://${join(dir, "sub", "sub.sock")}`);
    writeFileSync(join(dir, "file.sock"), "not a socket");
    expect(lookupPlugin("file", [dir])).toBeUndefined();
  });

  it("§9.4 prefers the socket over a spec, the first directory over the next, and .spec over .json", async () => {
    const sockDir = tempDir();
    const specDir = tempDir();
    await socketAt(join(sockDir, "p.sock"));
    writeFileSync(join(specDir, "p.spec"), "tcp://127.0.0.1:1");
    expect(lookupPlugin("p", [sockDir, specDir])?.addr).toBe(`unix://${join(sockDir, "p.sock")}`);
    const d1 = tempDir();
    const d2 = tempDir();
    writeFileSync(join(d1, "q.json"), JSON.stringify({ Addr: "tcp://127.0.0.1:1" }));
    writeFileSync(join(d2, "q.spec"), "tcp://127.0.0.1:2");
    expect(lookupPlugin("q", [d1, d2])?.addr).toBe("tcp://127.0.0.1:1");
    writeFileSync(join(d2, "q.json"), JSON.stringify({ Addr: "tcp://127.0.0.1:3" }));
    expect(lookupPlugin("q", [d2])?.addr).toBe("tcp://127.0.0.1:2");
  });

  it("§9.5 scans names: none in empty dirs, echo after echo.spec, a subdirectory only when it holds its own name", async () => {
    const dir = tempDir();
    expect(scanPlugins([dir, join(dir, "missing")])).toEqual([]);
    writeFileSync(join(dir, "echo.spec"), "tcp://127.0.0.1:1");
    expect(scanPlugins([dir])).toEqual(["echo"]);
    mkdirSync(join(dir, "not-a-plugin"));
    await socketAt(join(dir, "not-a-plugin", "foo.sock"));
    writeFileSync(join(dir, "not-a-plugin", "foo.spec"), "tcp://127.0.0.1:1");
    expect(scanPlugins([dir])).toEqual(["echo"]);
    writeFileSync(join(dir, "not-a-plugin", "not-a-plugin.spec"), "tcp://127.0.0.1:1");
    expect(scanPlugins([dir])).toEqual(["echo", "not-a-plugin"]);
  });

  it("takes --plugin-dir first, then NETLEDGER_PLUGIN_DIRS, then Docker's directories in Docker's order", () => {
    expect(pluginDirs(["/a", "/b"], { NETLEDGER_PLUGIN_DIRS: "/c" })).toEqual(["/a", "/b"]);
    expect(pluginDirs(undefined, { NETLEDGER_PLUGIN_DIRS: "/c:/d" })).toEqual(["/c", "/d"]);
    expect(pluginDirs(undefined, {})).toEqual(["/run/docker/plugins", "/etc/docker/plugins", "/usr/lib/docker/plugins"]);
  });
});
