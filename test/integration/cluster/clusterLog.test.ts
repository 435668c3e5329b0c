import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalEndpoints } from "../../../src/domain/cluster/state.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../../helpers/etcdCluster.js";
import { failure, until } from "../../helpers/wait.js";
import { hexId, joinedWithNetwork, threeLogs } from "./logs.js";
import { ClusterLog } from "../../../src/cluster/clusterLog.js";
import { ClusterConnection } from "../../../src/cluster/connection.js";

const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

describe.skipIf(!haveEtcd)(`the cluster log on a three-member etcd cluster${why}`, () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("shows a network created on one node to the others through their watch", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      const id = hexId();
      await logs[0]!.submit({ type: "global.network.create", id, name: "nlx-net", driver: "nlx", labels: {} });
      await until(() => logs.every((l) => l.current.networks[id]?.name === "nlx-net"));
      expect(logs[2]!.current.networks[id]!.subnet).toBe("10.0.0.0/24");
    } finally {
      await close();
    }
  });

  it("answers a command whose append landed though its call failed and the first look did not see it, instead of refusing it as a duplicate", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      const log = logs[0]!;
      const net = await joinedWithNetwork(log, "late");
      // The etcd client's answer to the append is lost (a member killed mid-call), and the look that
      // follows reads before the write is visible: the log decides the batch again after catching up.
      // Nor does the watch bring the records back first (its member is the one killed), which would settle the batch.
      log.expectOwn = () => undefined;
      const real = log.conn.call.bind(log.conn);
      let lost = 0;
      log.conn.call = (async (what: string, f: (o: { deadline: number }) => Promise<unknown>, ms?: number) => {
        if (what === "append" && lost === 0) {
          lost++;
          await real(what, f, ms);
          throw new Error("the answer was lost");
        }
        if (what === "check an append" && lost === 1) {
          lost++;
          return false;
        }
        return real(what, f, ms);
      }) as typeof log.conn.call;
      const id = hexId();
      const events = await log.submit({ type: "global.endpoint.create", id, name: "once", network: net, node: "a" });
      expect(lost).toBe(2);
      expect(events.map((e) => [e.type, e.stream])).toEqual([["global.endpoint.created", id]]);
      expect(globalEndpoints(log.current).filter((e) => e.id === id)).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("settles a batch once the watch brings its records back, though the call has not answered yet, and appends the next on from there", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      const log = logs[0]!;
      const net = await joinedWithNetwork(log, "watched");
      // The append is sent, but its answer is held back until the test lets it through.
      const real = log.conn.call.bind(log.conn);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let held = 0;
      log.conn.call = (async (what: string, f: (o: { deadline: number }) => Promise<unknown>, ms?: number) => {
        if (what !== "append" || held > 0) return real(what, f, ms);
        held++;
        const answer = await real(what, f, ms);
        await gate;
        return answer;
      }) as typeof log.conn.call;
      const before = log.headSeen.seq;
      const id = hexId();
      const events = await log.submit({ type: "global.endpoint.create", id, name: "seen", network: net, node: "a" });
      expect(held).toBe(1);
      expect(events.map((e) => [e.type, e.stream, e.seq])).toEqual([["global.endpoint.created", id, before + 1]]);
      expect(log.headSeen.seq).toBe(before + 1);
      // The next batch is conditioned on the revision the watch saw: it lands without a conflict.
      const conflicts = log.conflicts;
      const next = await log.submit({ type: "global.endpoint.create", id: hexId(), name: "after", network: net, node: "a" });
      expect(next[0]!.seq).toBe(before + 2);
      expect(log.conflicts).toBe(conflicts);
      release();
      await until(() => logs.every((l) => l.headSeen.seq === before + 2));
      expect(globalEndpoints(logs[1]!.current).filter((e) => e.id === id)).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("finds an append whose answer was lost by the record it wrote first, and answers it without appending it again or leaving a batch key", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      const log = logs[0]!;
      const net = await joinedWithNetwork(log, "lost");
      // The watch does not bring the records back before the answer is missed (its member was killed).
      log.expectOwn = () => undefined;
      const real = log.conn.call.bind(log.conn);
      const calls: string[] = [];
      let lost = false;
      log.conn.call = (async (what: string, f: (o: { deadline: number }) => Promise<unknown>, ms?: number) => {
        calls.push(what);
        if (what === "append" && !lost) {
          lost = true;
          await real(what, f, ms);
          throw new Error("the answer was lost");
        }
        return real(what, f, ms);
      }) as typeof log.conn.call;
      const before = log.headSeen.seq;
      const id = hexId();
      const events = await log.submit({ type: "global.endpoint.create", id, name: "once", network: net, node: "a" });
      expect(calls.filter((c) => c === "append")).toHaveLength(1); // landed: not decided and written again
      expect(calls).toContain("check an append");
      expect(events.map((e) => [e.type, e.stream, e.seq])).toEqual([["global.endpoint.created", id, before + 1]]);
      await until(() => logs.every((l) => l.headSeen.seq === before + 1));
      expect(globalEndpoints(logs[2]!.current).filter((e) => e.id === id)).toHaveLength(1);
      expect(await log.conn.kv.getAll().prefix("batch/").count()).toBe(0);
    } finally {
      await close();
    }
  });

  it("gives 3 x 50 endpoints created at once on three nodes distinct addresses and one state on every node", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      await Promise.all(logs.map((l, i) => l.submit({ type: "global.node.join", name: "abc"[i]!, address: `127.0.0.${i + 1}` })));
      const net = hexId();
      await logs[0]!.submit({ type: "global.network.create", id: net, name: "wide", driver: "nlx", labels: {} });
      await until(() => logs.every((l) => l.current.networks[net] !== undefined));
      const created = await Promise.all(
        logs.flatMap((l, i) =>
          Array.from({ length: 50 }, (_, k) =>
            l.submit({ type: "global.endpoint.create", id: hexId(), name: `ep-${i}-${k}`, network: net, node: "abc"[i]! }),
          ),
        ),
      );
      const addresses = created.map((evs) => {
        const e = evs[0]!;
        if (e.type !== "global.endpoint.created") throw new Error(`unexpected ${e.type}`);
        return e.data.address;
      });
      expect(new Set(addresses).size).toBe(150);
      const headSeq = Math.max(...logs.map((l) => l.headSeen.seq));
      await until(() => logs.every((l) => l.headSeen.seq === headSeq));
      expect(new Set(logs.map((l) => l.stateHash())).size).toBe(1);
      expect(globalEndpoints(logs[1]!.current)).toHaveLength(150);
      const seqs = created.flat().map((e) => e.seq).sort((a, b) => a - b);
      expect(new Set(seqs).size).toBe(seqs.length);
      console.log(`150 endpoints from three nodes: ${headSeq} events, conflicts ${logs.map((l) => l.conflicts).join("/")}`);
    } finally {
      await close();
    }
  });

  it("refuses a second global network of the same name, whichever node asks", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      const results = await Promise.allSettled(
        logs.map((l) => l.submit({ type: "global.network.create", id: hexId(), name: "same", driver: "nlx", labels: {} })),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(refused.map((r) => (r.reason as { code: string }).code)).toEqual(["Conflict", "Conflict"]);
    } finally {
      await close();
    }
  });

  it("lets a new node start from the latest snapshot in the cluster and fold only what follows it", async () => {
    const o = { endpoints: cluster.endpoints, node: "s", advertiseAddr: "127.0.0.1", timeoutMs: 5000, prefix: `/nlx-snap-${hexId().slice(0, 8)}/` };
    const writer = new ClusterLog(new ClusterConnection(o), 10);
    await writer.open();
    try {
      await writer.submit({ type: "global.node.join", name: "s", address: "127.0.0.1" });
      const net = hexId();
      await writer.submit({ type: "global.network.create", id: net, name: "snap", driver: "nlx", labels: {} });
      for (let i = 0; i < 25; i++) await writer.submit({ type: "global.endpoint.create", id: hexId(), name: `e${i}`, network: net, node: "s" });
      await until(async () => {
        const fresh = new ClusterLog(new ClusterConnection({ ...o, node: "fresh" }));
        await fresh.open();
        const ok = fresh.loadedFrom >= 20 && fresh.headSeen.seq === writer.headSeen.seq && fresh.stateHash() === writer.stateHash();
        await fresh.close();
        fresh.conn.close();
        return ok;
      }, 50);
    } finally {
      await writer.close();
      writer.conn.close();
    }
  });

  it("left to follow the state's size, snapshots a growing log at 1,000 events, then only once it has grown by twice what that snapshot held", async () => {
    const o = { endpoints: cluster.endpoints, node: "s", advertiseAddr: "127.0.0.1", timeoutMs: 30_000, prefix: `/nlx-stretch-${hexId().slice(0, 8)}/` };
    const writer = new ClusterLog(new ClusterConnection(o));
    await writer.open();
    try {
      await writer.submit({ type: "global.node.join", name: "a", address: "127.0.0.1" });
      const net = hexId();
      await writer.submit({ type: "global.network.create", id: net, name: "grows", driver: "nlx", labels: {}, subnet: "10.64.0.0/16" });
      const kv = writer.conn.kv;
      const metas = async () => (await kv.getAll().prefix("snapshots/meta/").keys()).map((k) => Number(k.slice(-12))).sort((a, b) => a - b);
      const create = (from: number, n: number) =>
        Promise.all(Array.from({ length: n }, (_, i) => writer.submit({ type: "global.endpoint.create", id: hexId(), name: `e${from + i}`, network: net, node: "a" })));
      // Past 2,000 events: at a fixed 1,000 there would be two snapshots by now.
      await create(0, 2500);
      await until(async () => (await metas()).length === 1, 100, { ms: 30_000, what: "the first snapshot" });
      const [first] = await metas();
      // At the end of the batch that reaches 1,000 (a batch holds at most 36 commands).
      expect(first).toBeGreaterThanOrEqual(1000);
      expect(first).toBeLessThan(1100);
      expect(await metas()).toHaveLength(1);
      // The first held about 1,000 entities: the next comes 2,000 events after it.
      await create(2500, 900);
      await until(async () => (await metas()).length === 2, 100, { ms: 30_000, what: "the second snapshot" });
      expect((await metas())[1]).toBeGreaterThanOrEqual(first! + 2 * (first! - 1));
    } finally {
      await writer.close();
      writer.conn.close();
    }
  });

  it("writes a snapshot larger than etcd takes in one request in parts, keeps the last two, and lets a new node start from it", async () => {
    const o = { endpoints: cluster.endpoints, node: "s", advertiseAddr: "127.0.0.1", timeoutMs: 30_000, prefix: `/nlx-bigsnap-${hexId().slice(0, 8)}/` };
    // A snapshot at each 1,000 events: left to follow the state's size, a log that only grows has its second at 3,000.
    const writer = new ClusterLog(new ClusterConnection(o), 1000);
    await writer.open();
    try {
      await writer.submit({ type: "global.node.join", name: "s", address: "127.0.0.1" });
      const net = hexId();
      await writer.submit({ type: "global.network.create", id: net, name: "big", driver: "nlx", labels: {}, subnet: "10.64.0.0/16" });
      // Submitted together, they go in batches: 3,100 endpoints cross three snapshot points (1,000 each).
      await Promise.all(Array.from({ length: 3100 }, (_, i) => writer.submit({ type: "global.endpoint.create", id: hexId(), name: `endpoint-with-a-long-name-${i}`, network: net, node: "s" })));
      const kv = writer.conn.kv;
      // A snapshot is written by the append that crosses 1,000, 2,000, 3,000: at the end of its batch.
      const metas = async () => (await kv.getAll().prefix("snapshots/meta/").keys()).map((k) => Number(k.slice(-12))).sort((a, b) => a - b);
      // The older metas go after the new one is written (a prune of its own): wait for the two kept.
      await until(
        async () => {
          const seqs = await metas();
          return seqs.length === 2 && seqs[1]! >= 3000;
        },
        200,
        { ms: 60_000, what: "a snapshot at seq 3,000 or after, and the first one's meta pruned" },
      );
      const [older, latest] = await metas();
      expect([older! >= 2000 && older! < 3000, latest! >= 3000]).toEqual([true, true]);
      const meta = JSON.parse((await kv.get(`snapshots/meta/${String(latest).padStart(12, "0")}`).string())!) as { parts: number };
      // More than etcd's default request limit (1.5 MiB) in all, so more than one part.
      const sizes = Object.values(await kv.getAll().prefix(`snapshots/part/${String(latest).padStart(12, "0")}/`).strings()).map((t) => Buffer.byteLength(t));
      expect(sizes).toHaveLength(meta.parts);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(1.5 * 1024 * 1024);
      expect(Math.max(...sizes)).toBeLessThan(1024 * 1024);
      // The last two are kept, with their parts; the first is gone, parts and all.
      const partSeqs = async () => new Set((await kv.getAll().prefix("snapshots/part/").keys()).map((k) => Number(k.split("/").at(-2))));
      await until(async () => [...(await partSeqs())].every((seq) => seq >= older!), 200, { ms: 60_000, what: "the first snapshot's parts pruned" });
      expect([...(await partSeqs())].sort((a, b) => a - b)).toEqual([older, latest]);
      // etcd's history is compacted up to the older snapshot's record: a read from before it is refused.
      const olderRevision = Number((JSON.parse((await kv.get(`snapshots/meta/${String(older).padStart(12, "0")}`).string())!) as { revision: string }).revision);
      const olderRecord = `log/${String(older).padStart(12, "0")}`;
      const compacted = () => kv.get(olderRecord).revision(String(olderRevision - 1)).string().then(() => false, (e: unknown) => /compacted/.test(String(e)));
      await until(compacted, 200, { ms: 60_000, what: "etcd's history compacted to the older snapshot's record" });
      expect(await kv.get(olderRecord).revision(String(olderRevision)).string()).not.toBeNull();
      // Parts of a write that never finished (no meta) are never read.
      await kv.put("snapshots/part/000000009000/000000").value("{not a state");
      const fresh = new ClusterLog(new ClusterConnection({ ...o, node: "fresh" }));
      try {
        await fresh.open();
        expect(fresh.loadedFrom).toBe(latest);
        expect(fresh.headSeen).toEqual(writer.headSeen);
        expect(fresh.stateHash()).toBe(writer.stateHash());
      } finally {
        await fresh.close();
        fresh.conn.close();
      }
    } finally {
      await writer.close();
      writer.conn.close();
    }
  }, 120_000);

  it("makes its watch again when etcd cancels it for a compacted revision, and goes on folding through it", async () => {
    const o = { endpoints: cluster.endpoints, node: "a", advertiseAddr: "127.0.0.1", timeoutMs: 5000, prefix: `/nlx-compacted-${hexId().slice(0, 8)}/` };
    const raw = new Etcd3({ hosts: cluster.endpoints });
    // No poll: what `a` folds comes through its watch alone.
    const a = new ClusterLog(new ClusterConnection(o), 1000, 3_600_000);
    const b = new ClusterLog(new ClusterConnection({ ...o, node: "b" }));
    try {
      await b.open();
      await b.submit({ type: "global.node.join", name: "b", address: "127.0.0.2" });
      // etcd compacts past the revision a's watch starts from, between its read and the watch: as when a
      // stream that broke resumes from a revision compacted meanwhile. etcd cancels such a watch.
      const watch = a.conn.kv.watch.bind(a.conn.kv);
      let compacted = false;
      a.conn.kv.watch = () => {
        const builder = watch();
        const create = builder.create.bind(builder);
        builder.create = async () => {
          if (!compacted) {
            compacted = true;
            await raw.put(`${o.prefix}filler`).value("1").exec();
            const r = await raw.put(`${o.prefix}filler`).value("2").exec();
            await raw.kv.compact({ revision: r.header.revision });
          }
          return create();
        };
        return builder;
      };
      await a.open();
      expect(compacted).toBe(true);
      await until(() => a.watchRemade >= 1, 20, { ms: 30_000, what: "a's watch made again" });
      // Once: made again from after its read, not from after the head's revision (compacted), it is
      // not cancelled again while the head stands still.
      await new Promise((r) => setTimeout(r, 500));
      expect(a.watchRemade).toBe(1);
      await b.submit({ type: "global.node.join", name: "c", address: "127.0.0.3" });
      await until(() => a.headSeen.seq === b.headSeen.seq, 20, { ms: 30_000, what: "a folding b's append through its watch" });
      expect(a.stateHash()).toBe(b.stateHash());
    } finally {
      for (const l of [a, b]) {
        await l.close();
        l.conn.close();
      }
      raw.close();
    }
  });

  it("refuses at once a command too large for a record, writing nothing, and cuts batches by weight under etcd's request limit", async () => {
    const { logs, close } = await threeLogs(cluster);
    try {
      const log = logs[0]!;
      await log.submit({ type: "global.node.join", name: "a", address: "127.0.0.1" });
      const head = log.headSeen.seq;
      const err = await failure(log.submit({ type: "global.network.create", id: hexId(), name: "heavy", driver: "nlx", labels: { big: "x".repeat(2_000_000) } }));
      expect(err.code).toBe("InvalidParameter");
      expect(err.message).toMatch(/global\.network\.create command of \d+ bytes is more than a record of the cluster log holds/);
      expect(log.headSeen.seq).toBe(head);
      // Ten of 200 KB submitted together: the first goes alone, and the nine behind it (1.8 MB) in one
      // transaction would pass etcd's 1.5 MiB.
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) => log.submit({ type: "global.network.create", id: hexId(), name: `wide-${i}`, driver: "nlx", labels: { note: "y".repeat(200_000) } })),
      );
      expect(made.every((evs) => evs.some((e) => e.type === "global.network.created"))).toBe(true);
      await until(() => logs.every((l) => l.headSeen.seq === log.headSeen.seq));
      expect(logs[2]!.stateHash()).toBe(log.stateHash());
    } finally {
      await close();
    }
  });

  it("trims the log before the older kept snapshot, and a node that was away for it starts again from the latest", async () => {
    const o = { endpoints: cluster.endpoints, node: "w", advertiseAddr: "127.0.0.1", timeoutMs: 5000, prefix: `/nlx-trim-${hexId().slice(0, 8)}/` };
    const writer = new ClusterLog(new ClusterConnection(o), 10);
    const away = new ClusterLog(new ClusterConnection({ ...o, node: "away" }), 10);
    let back: ClusterLog | undefined;
    try {
      await writer.open();
      await writer.submit({ type: "global.node.join", name: "w", address: "127.0.0.1" });
      const net = hexId();
      await writer.submit({ type: "global.network.create", id: net, name: "trim", driver: "nlx", labels: {} });
      await away.open();
      // What the node held when it went away (its copy): seq 2.
      const held = { state: away.current, head: away.headSeen };
      await away.close();
      const kv = writer.conn.kv;
      // A snapshot as an earlier version stored it, in one key: pruned with the rest.
      await kv.put("snapshots/000000000001").value("{}");
      for (let i = 0; i < 35; i++) await writer.submit({ type: "global.endpoint.create", id: hexId(), name: `t${i}`, network: net, node: "w" });
      // Snapshots at 10, 20, 30: the last two kept, and the records before 20 trimmed (20's own stays).
      const logSeqs = async () => (await kv.getAll().prefix("log/").keys()).map((k) => Number(k.slice(-12))).sort((a, b) => a - b);
      await until(async () => (await logSeqs())[0] === 20, 100, { ms: 30_000, what: "the log trimmed up to seq 20" });
      expect(await logSeqs()).toEqual(Array.from({ length: writer.headSeen.seq - 19 }, (_, i) => 20 + i));
      expect(await kv.get("snapshots/000000000001").string()).toBeNull();
      const snapshots: { state: unknown; seq: number }[] = [];
      back = new ClusterLog(new ClusterConnection({ ...o, node: "away" }), 10);
      await back.open({ from: held, onSnapshot: (state, head) => snapshots.push({ state, seq: head.seq }) });
      expect(back.rebased).toBe(1);
      expect(snapshots.map((x) => x.seq)).toEqual([30]);
      expect(back.loadedFrom).toBe(30);
      expect(back.headSeen).toEqual(writer.headSeen);
      expect(back.stateHash()).toBe(writer.stateHash());
      // It appends on as any node does.
      await back.submit({ type: "global.endpoint.create", id: hexId(), name: "after", network: net, node: "w" });
      await until(() => writer.headSeen.seq === back!.headSeen.seq);
      expect(writer.stateHash()).toBe(back.stateHash());
    } finally {
      for (const l of [writer, away, ...(back ? [back] : [])]) {
        await l.close();
        l.conn.close();
      }
    }
  });

  it("refuses to go on when etcd's record at a node's head is not the one it verified (etcd's data replaced)", async () => {
    const { logs, close } = await threeLogs(cluster);
    const elsewhere = new ClusterLog(new ClusterConnection({ ...logs[0]!.conn.o, node: "elsewhere" }));
    try {
      await joinedWithNetwork(logs[0]!, "kept");
      const head = logs[0]!.headSeen;
      // A node restarting on a copy whose head etcd holds otherwise: open fails, naming the seq.
      const opened = elsewhere.open({ from: { state: logs[0]!.current, head: { seq: head.seq, hash: "f".repeat(64) } } });
      await expect(opened).rejects.toMatchObject({ code: "Corrupt", message: expect.stringContaining(`record at seq ${head.seq} is not the one this node folded`) });
      // A running node whose head record is replaced under it: its next append is refused, and nothing is written.
      await until(() => logs[1]!.headSeen.seq === head.seq);
      const key = `log/${String(head.seq).padStart(12, "0")}`;
      const record = JSON.parse((await logs[1]!.conn.kv.get(key).string())!) as { hash: string };
      await logs[1]!.conn.kv.put(key).value(JSON.stringify({ ...record, hash: "e".repeat(64) }));
      await expect(logs[1]!.submit({ type: "global.network.create", id: hexId(), name: "forked", driver: "nlx", labels: {} })).rejects.toMatchObject({ code: "Corrupt" });
      expect(await logs[1]!.conn.kv.get(`log/${String(head.seq + 1).padStart(12, "0")}`).string()).toBeNull();
    } finally {
      await elsewhere.close();
      elsewhere.conn.close();
      await close();
    }
  });

  it("never begins the log a second time, though its first records were trimmed", async () => {
    const { logs, close } = await threeLogs(cluster);
    // A node that has folded nothing: it decides on the empty log, at seq 0.
    const late = new ClusterLog(new ClusterConnection({ ...logs[0]!.conn.o, node: "late" }));
    try {
      const net = await joinedWithNetwork(logs[0]!, "first");
      await logs[0]!.submit({ type: "global.endpoint.create", id: hexId(), name: "e", network: net, node: "a" });
      const kv = logs[0]!.conn.kv;
      // The first record's hash, put once with it.
      const first = JSON.parse((await kv.get("log/000000000001").string())!) as { hash: string };
      expect(JSON.parse((await kv.get("genesis").string())!)).toEqual({ seq: 1, hash: first.hash });
      // Trimmed as after two snapshots, the newest record kept: seq 1 is free again in etcd.
      await kv.delete().inRange({ start: "log/000000000001", end: "log/000000000003" });
      await expect(late.submit({ type: "global.node.join", name: "late", address: "127.0.0.9" })).rejects.toMatchObject({ code: "Corrupt" });
      expect(await kv.getAll().prefix("log/").keys()).toEqual(["log/000000000003"]);
    } finally {
      late.conn.close();
      await close();
    }
  });

  it("refuses to go on, naming the cause, when etcd's log is behind a node's verified copy (etcd wiped)", async () => {
    const { logs, close } = await threeLogs(cluster);
    const elsewhere = new ClusterLog(new ClusterConnection({ ...logs[0]!.conn.o, prefix: `/nlx-wiped-${hexId().slice(0, 8)}/` }));
    try {
      await logs[0]!.submit({ type: "global.node.join", name: "a", address: "127.0.0.1" });
      await logs[0]!.submit({ type: "global.network.create", id: hexId(), name: "kept", driver: "nlx", labels: {} });
      // A node restarting on its copy against an empty etcd: open fails at once, not after timeouts.
      const opened = elsewhere.open({ from: { state: logs[0]!.current, head: logs[0]!.headSeen } });
      await expect(opened).rejects.toMatchObject({ code: "Corrupt", message: expect.stringMatching(/wiped/) });
      // A running node whose etcd data goes: its next append is refused, and nothing is written.
      await until(() => logs[1]!.headSeen.seq === logs[0]!.headSeen.seq);
      await logs[1]!.conn.kv.delete().all();
      await expect(logs[1]!.submit({ type: "global.network.create", id: hexId(), name: "lost", driver: "nlx", labels: {} })).rejects.toMatchObject({ code: "Corrupt" });
      expect(await logs[1]!.conn.kv.getAll().keys()).toEqual([]);
    } finally {
      await elsewhere.close();
      elsewhere.conn.close();
      await close();
    }
  });
});
