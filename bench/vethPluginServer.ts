import { execFileSync } from "node:child_process";
import { createServer } from "node:http";

/**
 * A network plugin whose Join names a real veth (bench only, root): at start it makes a few veth pairs
 * (`nlbq<pid>N` and its peer), hands one out per Join and takes it back at Leave, after netledger has
 * moved it into the sandbox and back out; so the cycle measures netledger's share, not the plugin's.
 * `tsx bench/vethPluginServer.ts SOCKET`; prints "ready" once it listens; SIGTERM removes its links.
 */
const socketPath = process.argv[2];
if (!socketPath) throw new Error("usage: vethPluginServer.ts SOCKET");

const prefix = `nlbq${process.pid % 100000}`;
const free = [0, 1, 2, 3].map((i) => `${prefix}${i}`);
for (const name of free) execFileSync("ip", ["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
const given = new Map<string, string>();

function answer(path: string, body: Record<string, unknown>): unknown {
  const ep = String(body["EndpointID"] ?? "");
  switch (path) {
    case "/Plugin.Activate":
      return { Implements: ["NetworkDriver"] };
    case "/NetworkDriver.GetCapabilities":
      return { Scope: "local", ConnectivityScope: "local" };
    case "/NetworkDriver.CreateEndpoint":
      return { Interface: null };
    case "/NetworkDriver.Join": {
      const name = given.get(ep) ?? free.shift();
      if (!name) return { Err: "no veth left" };
      given.set(ep, name);
      return { InterfaceName: { SrcName: name, DstPrefix: "eth" } };
    }
    case "/NetworkDriver.Leave": {
      const name = given.get(ep);
      if (name) free.push(name);
      given.delete(ep);
      return {};
    }
    case "/NetworkDriver.EndpointOperInfo":
      return { Value: {} };
    default:
      return {};
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const parsed = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
    const body = JSON.stringify(answer(req.url ?? "", parsed ?? {})) + "\n";
    res.writeHead(200, { "Content-Type": "application/vnd.docker.plugins.v1+json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(socketPath, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () =>
  server.close(() => {
    for (const name of [...free, ...given.values()]) {
      try {
        execFileSync("ip", ["link", "del", name], { stdio: "ignore" });
      } catch {
        /* gone with a namespace */
      }
    }
    process.exit(0);
  }),
);
