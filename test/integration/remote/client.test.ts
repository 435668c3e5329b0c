import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { PluginClient } from "../../../src/drivers/remote/client.js";
import { lookupPlugin } from "../../../src/drivers/remote/discovery.js";
import { RemotePlugins } from "../../../src/drivers/remote/index.js";
import { PluginRegistry } from "../../../src/drivers/remote/pluginRegistry.js";
import { fakePlugin } from "../../helpers/pluginServer/inProcess.js";
import { tempDir } from "../../helpers/tmp.js";

const anyJson = z.json();

function clientFor(dir: string, name: string, opts: { retryBudgetMs?: number; timeoutMs?: number } = {}): PluginClient {
  return new PluginClient(lookupPlugin(name, [dir])!, opts);
}

describe("the plugin client (plugin-protocol.md §9)", () => {
  it("§9.7 speaks http for tcp, unix and http addresses and https for https", () => {
    const scheme = (addr: string) => new PluginClient({ name: "s", addr, source: "test" }).httpScheme;
    expect(["tcp://127.0.0.1:1", "unix:///tmp/s.sock", "http://127.0.0.1:1"].map(scheme)).toEqual(["http", "http", "http"]);
    expect(scheme("https://127.0.0.1:1")).toBe("https");
  });

  it("§9.8 sends a call without side effects again after a dropped connection, and never after an answer", async () => {
    const dir = tempDir();
    let n = 0;
    const p = await fakePlugin(dir, "drop", (m) => (m === "Plugin.Activate" && ++n === 1 ? "drop" : m === "NetworkDriver.CreateNetwork" ? { status: 500, body: "no" } : undefined));
    const c = clientFor(dir, "drop", { retryBudgetMs: 30_000 });
    await expect(c.call("Plugin.Activate", undefined, anyJson, { idempotent: true })).resolves.toEqual({ Implements: ["NetworkDriver"] });
    expect(p.methods()).toEqual(["Plugin.Activate", "Plugin.Activate"]);
    await expect(c.call("NetworkDriver.CreateNetwork", { NetworkID: "x" }, anyJson)).rejects.toMatchObject({ code: "DriverError" });
    expect(p.methods().filter((m) => m === "NetworkDriver.CreateNetwork")).toHaveLength(1);
    c.close();
  });

  it("§9.8 leaves a call that changes something in doubt when the connection drops after it was sent, rather than sending it twice", async () => {
    const dir = tempDir();
    const p = await fakePlugin(dir, "drop2", (m) => (m === "NetworkDriver.CreateEndpoint" ? "drop" : undefined));
    const c = clientFor(dir, "drop2", { retryBudgetMs: 30_000 });
    await expect(c.call("NetworkDriver.CreateEndpoint", { EndpointID: "e" }, anyJson)).rejects.toMatchObject({
      code: "InDoubt",
      message: expect.stringMatching(/^plugin drop2: NetworkDriver.CreateEndpoint: the connection was lost/),
    });
    expect(p.methods()).toEqual(["NetworkDriver.CreateEndpoint"]);
    c.close();
  });

  it("calls a plugin that is not listening PluginUnavailable, naming it", async () => {
    const dir = tempDir();
    const c = new PluginClient({ name: "gone", addr: `unix://${join(dir, "gone.sock")}`, source: "test" });
    await expect(c.call("NetworkDriver.CreateNetwork", {}, anyJson)).rejects.toMatchObject({
      code: "PluginUnavailable",
      message: expect.stringMatching(/^plugin gone \(unix:\/\/.*gone.sock\) cannot be reached/),
    });
  });

  it("§9.9 POSTs /<Method> with the Accept header, an empty body without arguments, and round-trips a value", async () => {
    const dir = tempDir();
    const seen: { method: string; headers: Record<string, unknown>; body: string }[] = [];
    await fakePlugin(dir, "echo", (method, body, req) => {
      seen.push({ method: req.method!, headers: req.headers, body });
      return { body };
    });
    const c = clientFor(dir, "echo");
    const value = { NetworkID: "n", Options: { "a<b": [1, "x", null, true], z: { y: 2.5 } } };
    await expect(c.call("Test.Echo", value, anyJson)).resolves.toEqual(value);
    await c.send("Plugin.Activate", undefined);
    expect(seen[0]).toMatchObject({ method: "POST", headers: { accept: "application/vnd.docker.plugins.v1.2+json", host: "plugin.moby.localhost" } });
    expect(seen[0]!.headers["content-type"]).toBeUndefined();
    expect(seen[1]!.body).toBe("");
    c.close();
  });

  it("§9.10 reads a non-200 answer's Err, else its body, and knows 404 as not found", async () => {
    const dir = tempDir();
    await fakePlugin(dir, "err", (m) =>
      m === "A.Json" ? { status: 500, body: { Err: "boom" } } : m === "A.Text" ? { status: 500, body: "oops" } : { status: 404, body: "404 page not found\n" },
    );
    const c = clientFor(dir, "err");
    await expect(c.call("A.Json", {}, anyJson)).rejects.toMatchObject({ code: "DriverError", message: "plugin err: A.Json: boom", details: { status: 500 } });
    await expect(c.call("A.Text", {}, anyJson)).rejects.toMatchObject({ message: "plugin err: A.Text: oops" });
    await expect(c.call("A.Missing", {}, anyJson)).rejects.toMatchObject({ code: "NotFound", message: "plugin err: A.Missing: 404 page not found" });
    c.close();
  });

  it("§9.11 refuses a plugin that does not implement what is asked, and finds nothing for a missing one after the lookup retries", async () => {
    const dir = tempDir();
    await fakePlugin(dir, "fruit", (m) => (m === "Plugin.Activate" ? { body: { Implements: ["apple"] } } : undefined));
    const plugins = new PluginRegistry({ dirs: [dir], lookupBudgetMs: 2000 });
    await expect(plugins.get("fruit", "banana")).rejects.toThrow(/does not implement/);
    await expect(plugins.get("this-plugin-does-not-exist", "NetworkDriver")).resolves.toBeUndefined();
    const drivers = new DriverRegistry();
    new RemotePlugins({ dirs: [dir] }).attach(drivers);
    await drivers.ensure("this-plugin-does-not-exist");
    expect(() => drivers.require("this-plugin-does-not-exist")).toThrow(expect.objectContaining({ code: "NotFound" }));
    plugins.close();
  });

  it("§9.12 runs the handlers of every subsystem once per activation, and again after a new handler", async () => {
    const dir = tempDir();
    await fakePlugin(dir, "both", undefined, { implements: ["NetworkDriver", "IpamDriver"] });
    const plugins = new PluginRegistry({ dirs: [dir] });
    const ran: string[] = [];
    plugins.handle("NetworkDriver", async (name, client) => void ran.push(`net:${name}:${client.name}`));
    plugins.handle("IpamDriver", async (name) => void ran.push(`ipam:${name}`));
    await plugins.get("both", "NetworkDriver");
    expect(ran).toEqual(["net:both:both", "ipam:both"]);
    await plugins.get("both", "NetworkDriver");
    expect(ran).toHaveLength(2);
    plugins.handle("NetworkDriver", async (name) => void ran.push(`net2:${name}`));
    await plugins.get("both", "NetworkDriver");
    // Docker runs the handlers of every subsystem the manifest lists again, in manifest order.
    expect(ran).toEqual(["net:both:both", "ipam:both", "net:both:both", "net2:both", "ipam:both"]);
    plugins.close();
  });
});
