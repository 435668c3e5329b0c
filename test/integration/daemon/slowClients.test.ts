import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Daemon } from "../../../src/daemon/server.js";
import { rawRequest } from "../../helpers/http.js";
import { tempDir } from "../../helpers/tmp.js";
import { until } from "../../helpers/wait.js";

const daemons: Daemon[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const d of daemons.splice(0)) await d.stop();
});

async function serve(requestTimeoutMs: number): Promise<{ socket: string; lines: string[] }> {
  const dir = tempDir();
  const socket = join(dir, "d.sock");
  const lines: string[] = [];
  const d = await Daemon.start({ controller: { db: join(dir, "n.db") }, socket, requestTimeoutMs, log: (l) => lines.push(l) });
  daemons.push(d);
  return { socket, lines };
}

/** A connection that writes `first`, then one byte of `rest` every 100 ms; resolves what came back once the daemon closes it. */
function trickle(path: string, first: string, rest: string): Promise<string> {
  const s = connect(path);
  sockets.push(s);
  let got = "";
  let timer: NodeJS.Timeout | undefined;
  s.setEncoding("utf8").on("data", (d) => (got += d));
  s.on("connect", () => {
    s.write(first);
    let i = 0;
    // Each byte after the loop's poll phase: a 408 (and the close) that came meanwhile is read first.
    // Written before it, the write met the closed socket (EPIPE), and Node dropped the socket with
    // the 408 unread: 1 run in 8 on a loaded machine.
    timer = setInterval(
      () =>
        setImmediate(() => {
          if (i < rest.length && s.writable) s.write(rest[i++]!);
        }),
      100,
    );
  });
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(timer);
      resolve(got);
    };
    s.on("close", done);
    s.on("error", () => {});
  });
}

describe("the daemon and slow or vanishing clients", () => {
  it("cuts a client that trickles its headers or its body past the request timeout, with 408, and goes on serving", async () => {
    const { socket } = await serve(1000);
    const pad = "x".repeat(600);
    const headers = trickle(socket, "POST /networks HTTP/1.1\r\nHost: x\r\n", `X-Pad: ${pad}\r\n\r\n`);
    const body = JSON.stringify({ name: "slow", driver: "null", labels: { pad } });
    const slowBody = trickle(socket, `POST /networks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    // 600 bytes at 10 a second would take a minute: both are cut long before.
    const [a, b] = await Promise.all([headers, slowBody]);
    expect(a).toMatch(/^HTTP\/1\.1 408/);
    expect(b).toMatch(/^HTTP\/1\.1 408/);
    const ok = await rawRequest(socket, "POST", "/networks", { headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "fast", driver: "null" }) });
    expect(ok.status).toBe(201);
    const names = (JSON.parse((await rawRequest(socket, "GET", "/networks")).text) as { name: string }[]).map((n) => n.name);
    expect(names).toEqual(["fast"]);
  });

  it("reports a request its client aborted in one line, without a stack trace", async () => {
    const { socket, lines } = await serve(30_000);
    const s = connect(socket);
    sockets.push(s);
    s.on("error", () => {});
    await new Promise<void>((resolve) => s.once("connect", () => resolve()));
    s.write("POST /networks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":");
    await new Promise((r) => setTimeout(r, 200));
    s.destroy();
    await until(() => lines.length > 0, 20);
    expect(lines.join("\n")).toMatch(/POST \/networks: the client went away/);
    expect(lines.join("\n")).not.toMatch(/\n\s+at /);
    const ok = await rawRequest(socket, "GET", "/networks");
    expect(ok.status).toBe(200);
  });
});
