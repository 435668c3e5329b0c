import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { errorSchema, eventSchema, networkViewSchema, stateViewSchema } from "../../../src/api/schemas.js";
import { HttpApi } from "../../../src/daemon/client.js";
import { Daemon } from "../../../src/daemon/server.js";
import { rawRequest } from "../../helpers/http.js";
import { tempDir } from "../../helpers/tmp.js";

const daemons: Daemon[] = [];
const clients: HttpApi[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of daemons.splice(0)) await d.stop();
});

/** A daemon in this process on a fresh database, and a client for it. */
async function serve(): Promise<{ d: Daemon; socket: string; api: HttpApi; db: string }> {
  const dir = tempDir();
  const socket = join(dir, "d.sock");
  const db = join(dir, "netledger.db");
  const d = await Daemon.start({ controller: { db }, socket });
  daemons.push(d);
  const api = new HttpApi({ host: `unix://${socket}`, actor: "tester" });
  clients.push(api);
  return { d, socket, api, db };
}

const json = { "content-type": "application/json" };

describe("the REST API", () => {
  it("creates, lists, inspects and removes networks, endpoints and sandboxes, answering with the views", async () => {
    const { api, socket } = await serve();
    const n = await api.createNetwork({ name: "n1", driver: "null" });
    expect(networkViewSchema.parse(n)).toMatchObject({ name: "n1", driver: "null", state: "active", endpoints: [] });
    const created = await rawRequest(socket, "POST", "/networks", { headers: json, body: JSON.stringify({ name: "n2", driver: "null" }) });
    expect(created.status).toBe(201);

    const e = await api.createEndpoint("n1", { name: "e1" });
    const sb = await api.createSandbox({ containerId: "c1", netns: null });
    const joined = await api.join("n1", "e1", "c1");
    expect(joined).toMatchObject({ id: e.id, sandbox: sb.id, state: "joined" });
    expect((await api.network(n.id.slice(0, 12))).endpoints).toEqual([e.id]);
    expect(await api.endpoints("n1")).toEqual([joined]);
    expect(await api.endpoint("n1", e.id)).toEqual(joined);
    expect((await api.sandbox("c1")).endpoints).toEqual([e.id]);

    const left = await api.leave("n1", "e1", sb.id);
    expect(left.sandbox).toBeNull();
    expect(await api.deleteEndpoint("n1", "e1", false)).toEqual({ removed: e.id });
    expect(await api.deleteSandbox("c1", false)).toEqual({ removed: sb.id });
    expect(await api.deleteNetwork("n1", false)).toEqual({ removed: n.id });
    expect((await api.networks()).map((x) => x.name)).toEqual(["n2"]);

    const state = stateViewSchema.parse(await api.state());
    expect(state.networks.map((x) => x.name)).toEqual(["n2"]);
    let joinedAt = 0;
    for await (const ev of api.events({ type: "endpoint.joined" })) joinedAt = ev.seq;
    const past = await api.state(joinedAt);
    expect(past.seq).toBe(joinedAt);
    expect(past.endpoints).toEqual([expect.objectContaining({ name: "e1", sandbox: sb.id })]);
    expect(await api.verify()).toMatchObject({ ok: true, firstBad: null });
  });

  it("answers refusals with the library's error code, message and a fitting status", async () => {
    const { api, socket } = await serve();
    await api.createNetwork({ name: "n1", driver: "null" });
    await api.createEndpoint("n1", { name: "e1" });
    const cases: [string, string, string | undefined, number, string, RegExp][] = [
      ["GET", "/networks/nosuch", undefined, 404, "NotFound", /network "nosuch" not found/],
      ["POST", "/networks", JSON.stringify({ name: "n1", driver: "null" }), 409, "Conflict", /network with name n1 already exists/],
      ["DELETE", "/networks/n1", undefined, 409, "ActiveEndpoints", /has active endpoints/],
      ["POST", "/networks", JSON.stringify({ name: "bad!", driver: "null" }), 400, "InvalidParameter", /invalid network name "bad!"/],
      ["POST", "/networks", JSON.stringify({ name: 7 }), 400, "InvalidParameter", /invalid network.create command: name/],
      ["POST", "/networks", JSON.stringify({ name: "n3", nmae: "x" }), 400, "InvalidParameter", /unknown field "nmae"/],
      ["POST", "/networks/n1/endpoints/e1/sandboxes", JSON.stringify({ sandbox: "nosuch" }), 404, "NotFound", /sandbox "nosuch" not found/],
      ["GET", "/events?since=yesterday", undefined, 400, "InvalidParameter", /since takes a seq/],
      ["GET", "/state?until=not-a-time", undefined, 400, "InvalidParameter", /until takes a seq or an ISO 8601 time/],
      ["DELETE", "/networks/n1?force=maybe", undefined, 400, "InvalidParameter", /force takes 1 or 0/],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const r = await rawRequest(socket, method, path, body === undefined ? {} : { headers: json, body });
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.headers["content-type"]).toBe("application/json");
      const e = errorSchema.parse(r.json());
      expect(e.error.code, `${method} ${path}`).toBe(code);
      expect(e.error.message).toMatch(message);
    }
    // The client turns them back into the errors the library throws.
    await expect(api.deleteNetwork("n1", false)).rejects.toMatchObject({ code: "ActiveEndpoints" });
  });

  it("gives a body over 1 MiB, malformed JSON, an unknown route and a wrong content type their 4xx, and goes on", async () => {
    const { socket } = await serve();
    const big = JSON.stringify({ name: "n", driver: "null", labels: { pad: "x".repeat(1024 * 1024 + 10) } });
    const bad: [string, string, { headers?: Record<string, string | number>; body?: string }, number, RegExp][] = [
      ["POST", "/networks", { headers: json, body: big }, 413, /over the limit of 1048576 bytes/],
      ["POST", "/networks", { headers: { ...json, "transfer-encoding": "chunked" }, body: big }, 413, /over the limit/],
      ["POST", "/networks", { headers: json, body: '{"name": "n",' }, 400, /not valid JSON/],
      ["POST", "/networks", { headers: json, body: "[1,2]" }, 400, /must be a JSON object/],
      ["GET", "/no/such/route", {}, 404, /no route for GET \/no\/such\/route/],
      ["PUT", "/networks", { headers: json, body: "{}" }, 405, /PUT is not allowed on \/networks; use GET or POST/],
      ["POST", "/networks", { headers: { "content-type": "text/plain" }, body: "name=n" }, 415, /must be application\/json, not text\/plain/],
      ["POST", "/networks", { body: '{"name":"n"}' }, 415, /must be application\/json/],
    ];
    let created = 0;
    for (const [method, path, opts, status, message] of bad) {
      const r = await rawRequest(socket, method, path, opts);
      expect(r.status, `${method} ${path} → ${r.text.slice(0, 100)}`).toBe(status);
      expect(errorSchema.parse(r.json()).error.message).toMatch(message);
      // The daemon goes on: a normal request right after is served.
      const ok = await rawRequest(socket, "POST", "/networks", { headers: json, body: JSON.stringify({ name: `ok${created++}`, driver: "null" }) });
      expect(ok.status).toBe(201);
    }
    const names = (JSON.parse((await rawRequest(socket, "GET", "/networks")).text) as { name: string }[]).map((n) => n.name);
    expect(names).toEqual(bad.map((_, i) => `ok${i}`));
  });

  it("treats Idempotency-Key as the request id: a repeat answers the first result and appends nothing", async () => {
    const { socket, api } = await serve();
    const send = () =>
      rawRequest(socket, "POST", "/networks", {
        headers: { ...json, "idempotency-key": "req-1", "netledger-actor": encodeURIComponent("ana maría") },
        body: JSON.stringify({ name: "n1", driver: "null" }),
      });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json()).toEqual(first.json());
    const events = [];
    for await (const e of api.events()) events.push(e);
    expect(events).toHaveLength(1);
    expect(events[0]!.meta).toMatchObject({ requestId: "req-1", actor: "ana maría" });
    const other = await rawRequest(socket, "POST", "/networks", {
      headers: { ...json, "idempotency-key": "req-1" },
      body: JSON.stringify({ name: "n2", driver: "null" }),
    });
    expect(other.status).toBe(409);
    expect(other.json()).toEqual({ error: { code: "Conflict", message: "request id req-1 was already used for a different command" } });
  });

  it("streams the log as JSON lines with filters, and with follow=1 sends events appended later", async () => {
    const { socket, api } = await serve();
    await api.createNetwork({ name: "n1", driver: "null" });
    await api.createEndpoint("n1", { name: "e1" });
    await api.createNetwork({ name: "n2", driver: "null" });
    const r = await rawRequest(socket, "GET", "/events?type=network");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/x-ndjson");
    const lines = r.text.trim().split("\n").map((l) => eventSchema.parse(JSON.parse(l)));
    expect(lines.map((e) => [e.seq, e.type])).toEqual([
      [1, "network.created"],
      [3, "network.created"],
    ]);
    const byStream = [];
    for await (const e of api.events({ stream: "n1", since: 1, until: 2 })) byStream.push(e.type);
    expect(byStream).toEqual(["network.created"]);

    const stop = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      for await (const e of api.events({ since: 3, follow: true, signal: stop.signal })) {
        seen.push(e.seq);
        if (seen.length === 3) stop.abort();
      }
    })();
    await api.createSandbox({ containerId: "c1", netns: null });
    await api.createSandbox({ containerId: "c2", netns: null });
    await following;
    expect(seen).toEqual([3, 4, 5]);
  });

  it("refuses a client that names another database than the one it owns", async () => {
    const { socket, db } = await serve();
    const wrong = new HttpApi({ host: `unix://${socket}`, db: join(tempDir(), "other.db") });
    clients.push(wrong);
    await expect(wrong.networks()).rejects.toMatchObject({ code: "InvalidParameter", message: expect.stringMatching(/this daemon serves the database .*netledger.db, not .*other.db/) });
    const right = new HttpApi({ host: `unix://${socket}`, db });
    clients.push(right);
    expect(await right.networks()).toEqual([]);
    const health = await right.health();
    expect(health).toMatchObject({ status: "ok", pid: process.pid, head: { seq: 0 } });
  });
});
