import { createServer, type RequestListener, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cniCall, cniEnv } from "../../helpers/cni/plugin.js";
import { tempDir } from "../../helpers/tmp.js";

/**
 * The plugin's entry (bin/netledger-cni.cjs) forwards a call to the daemon its config names with a
 * request of its own making, to start fast; anything but the daemon's outcome goes to the full plugin,
 * which answers as it always has. Here a stand-in daemon on a UNIX socket answers what a real one
 * might not (needs `npm run build`: the full plugin is dist/cni/main.js).
 */

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function standIn(handler: RequestListener): Promise<{ host: string; bodies: unknown[] }> {
  const socket = join(tempDir("nlc-entry-"), "d.sock");
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (c: string) => (text += c));
    req.on("end", () => {
      bodies.push(JSON.parse(text));
      handler(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(socket, r));
  return { host: `unix://${socket}`, bodies };
}

const conf = (host: string) => JSON.stringify({ cniVersion: "1.0.0", name: "nlcentry", type: "netledger-cni", network: "nlcentry", host });

describe("netledger-cni's entry, forwarding to a daemon", () => {
  it("prints the outcome a daemon sends late and in chunks, with its exit status, after one request with the runtime's CNI variables", async () => {
    // Late: the request must stay open until the answer (a half-closed one is dropped by Node's server).
    const d = await standIn((_req, res) => {
      setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.write('{"exitCode":0,"output":{"cniVersion":"1.0.0",');
        res.end('"interfaces":[{"name":"eth0"}],"ips":[],"routes":[],"dns":{}}}');
      }, 300);
    });
    const r = await cniCall({ ...cniEnv("ADD", "nlc-entry-1", "/proc/self/ns/net", "eth0", "K8S_POD_NAME=a"), NETLEDGER_HOST: "" }, conf(d.host));
    expect(r.code, r.stdout).toBe(0);
    expect(r.json).toEqual({ cniVersion: "1.0.0", interfaces: [{ name: "eth0" }], ips: [], routes: [], dns: {} });
    expect(d.bodies).toHaveLength(1);
    expect(d.bodies[0]).toEqual({
      env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "nlc-entry-1", CNI_NETNS: "/proc/self/ns/net", CNI_IFNAME: "eth0", CNI_ARGS: "K8S_POD_NAME=a", CNI_PATH: "/usr/lib/cni" },
      config: conf(d.host),
    });
  });

  it("passes on a refusal the daemon answers as an outcome: the spec's error object and exit status 1", async () => {
    const d = await standIn((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ exitCode: 1, output: { cniVersion: "1.0.0", code: 7, msg: 'netledger has no network "nlcentry"' } }));
    });
    const r = await cniCall(cniEnv("ADD", "nlc-entry-2", "/proc/self/ns/net"), conf(d.host));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 7, msg: 'netledger has no network "nlcentry"' });
  });

  it("leaves an answer that is not an outcome to the full plugin: an I/O failure (5) naming the daemon", async () => {
    const d = await standIn((_req, res) => {
      res.statusCode = 502;
      res.end("<html>bad gateway</html>");
    });
    const r = await cniCall(cniEnv("DEL", "nlc-entry-3", "/proc/self/ns/net"), conf(d.host));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ cniVersion: "1.0.0", code: 5 });
    expect(String(r.json?.["msg"])).toContain(d.host);
    // The entry's request, then the full plugin's: the same call sent again (its ids are derived).
    expect(d.bodies).toHaveLength(2);
    expect(d.bodies[1]).toEqual(d.bodies[0]);
  });
});
