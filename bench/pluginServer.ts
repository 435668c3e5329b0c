import { createServer } from "node:http";

/**
 * A network plugin that does no work (bench only): it speaks the Docker plugin protocol's JSON over a
 * UNIX socket (spec/plugin-protocol.md) and answers every call at once. Run as its own process:
 * `tsx bench/pluginServer.ts SOCKET`; prints "ready" once it listens.
 */
const socketPath = process.argv[2];
if (!socketPath) throw new Error("usage: pluginServer.ts SOCKET");

const answers: Record<string, unknown> = {
  "/Plugin.Activate": { Implements: ["NetworkDriver"] },
  "/NetworkDriver.GetCapabilities": { Scope: "local", ConnectivityScope: "local" },
  "/NetworkDriver.CreateEndpoint": { Interface: null },
  "/NetworkDriver.Join": { InterfaceName: null, Gateway: "", GatewayIPv6: "", StaticRoutes: null, DisableGatewayService: false },
  "/NetworkDriver.EndpointOperInfo": { Value: {} },
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (chunks.length) JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify(answers[req.url ?? ""] ?? {}) + "\n";
    res.writeHead(200, { "Content-Type": "application/vnd.docker.plugins.v1+json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(socketPath, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
