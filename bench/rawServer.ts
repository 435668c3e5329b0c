import { createServer } from "node:http";

/**
 * The floor for the daemon's latency: an HTTP server on a UNIX socket that reads the body and answers a
 * small JSON object at once, in a process of its own as the daemon is.   node rawServer.js SOCKET
 */
const socket = process.argv[2]!;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const body = '{"ok":true}';
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.listen(socket, () => process.stdout.write(`listening on unix://${socket}\n`));
process.once("SIGTERM", () => server.close(() => process.exit(0)));
