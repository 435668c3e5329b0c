import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpApi } from "../../../src/daemon/client.js";
import { tempDir } from "../../helpers/tmp.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A daemon stand-in on a UNIX socket that answers every request with `body`. */
async function answering(body: string): Promise<HttpApi> {
  const socket = join(tempDir(), "d.sock");
  server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(body));
  await new Promise<void>((resolve) => server!.listen(socket, resolve));
  return new HttpApi({ host: `unix://${socket}` });
}

describe("the daemon client", () => {
  it("checks each answer against the API's schema and says what does not match", async () => {
    const api = await answering(JSON.stringify({ seq: "7", hash: "abc" }));
    try {
      await expect(api.head()).rejects.toThrow(/the daemon's answer to GET \/head is not what this netledger expects \(seq: .*\): is it another version\?/);
    } finally {
      await api.close();
    }
  });

  it("returns an answer that matches as it came", async () => {
    const api = await answering(JSON.stringify({ hash: "abc", seq: 7 }));
    try {
      const head = await api.head();
      expect(head).toEqual({ seq: 7, hash: "abc" });
      expect(Object.keys(head)).toEqual(["hash", "seq"]);
    } finally {
      await api.close();
    }
  });

  it("refuses an event whose data does not match its type's schema", async () => {
    const event = { seq: 1, type: "network.deleted", stream: "n", version: 1, data: { id: 5, pending: false }, meta: { actor: "a", time: "t" }, hash: "h" };
    const api = await answering(JSON.stringify(event) + "\n");
    try {
      await expect(async () => {
        for await (const _ of api.events()) void _;
      }).rejects.toThrow(/event 1, network.deleted\) is not what this netledger expects \(id: /);
    } finally {
      await api.close();
    }
  });
});
