import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClusterConnection } from "../../../src/cluster/connection.js";
import { reqPrefix, resPrefix } from "../../../src/cluster/records.js";
import { RequestWrites } from "../../../src/cluster/requestWrites.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../../helpers/etcdCluster.js";
import { failure, until } from "../../helpers/wait.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

describe.skipIf(!haveEtcd)(`a forwarding node's writes (requests put, answers deleted, as a group commit)${why}`, () => {
  let cluster: EtcdCluster;
  let conn: ClusterConnection;
  /** The etcd calls the connection made, by what it says they are. */
  let calls: string[];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(() => conn?.close());

  function connect(endpoints = cluster.endpoints, timeoutMs = 5000): ClusterConnection {
    conn = new ClusterConnection({ endpoints, node: "a", advertiseAddr: "127.0.0.1", timeoutMs, prefix: `/nlx-${randomBytes(6).toString("hex")}/` });
    calls = [];
    const call = conn.call.bind(conn);
    conn.call = (what, f, ms) => {
      calls.push(what);
      return call(what, f, ms);
    };
    return conn;
  }
  const id = () => `a/${randomBytes(12).toString("hex")}`;
  const later = () => Date.now() + 5000;

  it("puts the requests that arrive while a transaction is in flight together in the next one", async () => {
    const w = new RequestWrites(connect());
    const ids = Array.from({ length: 20 }, id);
    await Promise.all(ids.map((x, i) => w.put(x, JSON.stringify({ i }), later())));
    // The first goes alone, at once; the 19 that came meanwhile go in one more call.
    expect(calls).toEqual(["forward a command", "forward 19 commands"]);
    const stored = await conn.kv.getAll().prefix(reqPrefix).strings();
    expect(Object.keys(stored).length).toBe(20);
    for (const [i, x] of ids.entries()) expect(JSON.parse(stored[reqPrefix + x]!)).toEqual({ i });
  });

  it("does not put a request again once it has been answered (a retried call the first attempt of which was applied)", async () => {
    const w = new RequestWrites(connect());
    const x = id();
    // The appender read the request, appended its command, deleted it and answered it.
    await conn.kv.put(resPrefix + x).value(JSON.stringify({ ok: true, from: 1, count: 1, at: 1 }));
    await w.put(x, JSON.stringify({ again: true }), later());
    expect(await conn.kv.get(reqPrefix + x).string()).toBeNull();
  });

  it("deletes the answers read with the next requests, and on their own when no request follows", async () => {
    const w = new RequestWrites(connect());
    const [x, y, z] = [id(), id(), id()];
    for (const k of [x, z]) await conn.kv.put(resPrefix + k).value("{}");
    calls = [];
    w.forget(x);
    await w.put(y, "{}", later());
    expect(await conn.kv.get(resPrefix + x).string()).toBeNull();
    expect(calls).toEqual(["forward a command"]);
    w.forget(z);
    await until(async () => (await conn.kv.get(resPrefix + z).string()) === null, 5, { ms: 10_000, what: "the answer read deleted" });
    expect(calls).toEqual(["forward a command", "forget answers"]);
  });

  it("fails every request of a transaction no member answers with ClusterUnavailable", async () => {
    // A port nothing listens on: the members are away.
    const w = new RequestWrites(connect(["http://127.0.0.1:9"], 1000));
    const results = await Promise.all([w.put(id(), "{}", Date.now() + 1000), w.put(id(), "{}", Date.now() + 1000)].map((p) => failure(p)));
    for (const e of results) expect(e.code).toBe("ClusterUnavailable");
  });
});
