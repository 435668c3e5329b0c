import { type Agent, request } from "node:http";

/** One HTTP POST of a JSON body on a UNIX socket, the answer read and dropped: the floor's unit of work. */
export function rawPost(socketPath: string, agent: Agent, path: string, body: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(
      { socketPath, path, method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", resolve);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
