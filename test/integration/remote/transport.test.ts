import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { PluginClient } from "../../../src/drivers/remote/client.js";
import { lookupPlugin } from "../../../src/drivers/remote/discovery.js";
import { tempDir } from "../../helpers/tmp.js";

const servers: http.Server[] = [];
afterEach(async () => {
  while (servers.length) {
    const s = servers.pop()!;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Answers Plugin.Activate with its scheme, so a test sees which server it reached. */
function handler(scheme: string): http.RequestListener {
  return (req, res) => {
    req.resume();
    req.on("end", () => res.end(JSON.stringify({ Implements: ["NetworkDriver"], Via: scheme, Host: req.headers.host })));
  };
}

async function listen(s: http.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return (s.address() as AddressInfo).port;
}

const answer = z.object({ Implements: z.array(z.string()), Via: z.string(), Host: z.string() });

describe("plugin transports", () => {
  it("calls a tcp:// plugin from a .spec file over plain HTTP at the host root", async () => {
    const port = await listen(http.createServer(handler("http")));
    const dir = tempDir();
    writeFileSync(join(dir, "tcpp.spec"), `tcp://127.0.0.1:${port}/ignored/path\n`);
    const c = new PluginClient(lookupPlugin("tcpp", [dir])!);
    await expect(c.call("Plugin.Activate", undefined, answer)).resolves.toEqual({ Implements: ["NetworkDriver"], Via: "http", Host: `127.0.0.1:${port}` });
    c.close();
  });

  it("verifies an https plugin against the CA file of its .json spec, and refuses one it cannot verify", async () => {
    const dir = tempDir();
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const port = await listen(https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler("https")));
    writeFileSync(join(dir, "tlsp.json"), JSON.stringify({ Name: "ignored", Addr: `https://127.0.0.1:${port}`, TLSConfig: { CAFile: cert } }));
    const ok = new PluginClient(lookupPlugin("tlsp", [dir])!);
    expect(ok.httpScheme).toBe("https");
    await expect(ok.call("Plugin.Activate", undefined, answer)).resolves.toMatchObject({ Via: "https" });
    ok.close();
    // No TLSConfig: the system's roots, which do not know this certificate.
    writeFileSync(join(dir, "strict.json"), JSON.stringify({ Addr: `https://127.0.0.1:${port}` }));
    const strict = new PluginClient(lookupPlugin("strict", [dir])!);
    // Refused before anything was sent: the plugin cannot be reached, and its calls wait.
    await expect(strict.call("Plugin.Activate", undefined, answer)).rejects.toMatchObject({
      code: "PluginUnavailable",
      message: expect.stringMatching(/^plugin strict \(https:.*\) cannot be reached: .*certificate/),
    });
    strict.close();
    // A .spec file's https is never verified, as in Docker.
    writeFileSync(join(dir, "loose.spec"), `https://127.0.0.1:${port}`);
    const loose = new PluginClient(lookupPlugin("loose", [dir])!);
    await expect(loose.call("Plugin.Activate", undefined, answer)).resolves.toMatchObject({ Via: "https" });
    loose.close();
  });
});
