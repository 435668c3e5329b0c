import { rmSync } from "node:fs";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPrefix } from "../../src/cluster/connection.js";
import { logEnd, openRecord, seqKey } from "../../src/cluster/records.js";
import { canonicalJson } from "../../src/domain/canonical.js";
import type { ClusterEvent } from "../../src/domain/cluster/events.js";
import { emptyClusterState, endpointsOfNode, foldCluster, globalEndpoints } from "../../src/domain/cluster/state.js";
import { HttpApi } from "../../src/daemon/client.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import { genesisHash } from "../../src/store/hashChain.js";
import { stateHash } from "../../src/store/stateHash.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { type EtcdCluster, haveEtcd, startEtcdCluster } from "../helpers/etcdCluster.js";
import { type FakePlugin, fakePlugin } from "../helpers/pluginServer/inProcess.js";
import { seededRandom } from "../helpers/seeded.js";
import { fileTempDir } from "../helpers/tmp.js";

/**
 * The crash storm (issue 17): three etcd members and three `netledger serve` nodes on a global-scope
 * network, six clients creating and deleting endpoints through the nodes without pause, and a killer
 * that SIGKILLs a random node daemon or etcd member (now and then one of each at once), restarts it, and
 * goes on — never more than one member down, so the cluster keeps its quorum. Afterwards, everything
 * restarted and recovered: every command a client saw acknowledged is in the cluster log (read straight
 * from etcd, its chain checked), the live endpoints are exactly what the log says on every node, every
 * node reports the state hash of the log's own fold, nothing is pending or in doubt, and `verify` is ok.
 *
 * The kill count is NETLEDGER_STORM_KILLS (default 40, about two minutes on two cores); the seed of the
 * killer's schedule is NETLEDGER_STORM_SEED (printed). The issue asks for at least 200:
 *   NETLEDGER_STORM_KILLS=200 npx vitest run test/crash/clusterStorm.test.ts
 * Run so on 2026-12-07 on two busy cores (seed 1266462950): passed in 538 s, 200 SIGKILLs (106 of
 * nodes, 94 of members), 9,050 creates and 8,890 deletes acknowledged, none lost; 10 commands met
 * ClusterUnavailable and 212 a node that was down. The same run before the fixes this test found (an
 * orphan no event touched, appends that landed late refused as duplicates, one call's deadline spent on
 * one member: 2,490 ClusterUnavailable) failed. Run again on 2026-12-07, once the log's head was its
 * last record (no head key), seed 130884331: passed in 560 s, 200 SIGKILLs (109 of nodes, 91 of
 * members), 21,967 creates and 21,798 deletes acknowledged, none lost; none met ClusterUnavailable,
 * 216 a node that was down.
 */
const kills = Number(process.env["NETLEDGER_STORM_KILLS"] ?? 40);
const seed = Number(process.env["NETLEDGER_STORM_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const why = haveEtcd ? "" : " (skipped: /usr/bin/etcd is not installed)";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StormNode {
  name: string;
  db: string;
  socket: string;
  env: NodeJS.ProcessEnv;
  args: string[];
  plugin: FakePlugin;
  daemon: TestDaemon | null;
  api: HttpApi | null;
  /** Failed starts (a restart may meet etcd mid-election), each with its stderr's tail. */
  failedStarts: string[];
}

interface Acked {
  /** Endpoint id → the node that created it and its name. */
  created: Map<string, { node: string; name: string; at: string }>;
  /** Deletes sent: acknowledged or not, any of them may have happened. */
  deleting: Set<string>;
  deleted: Set<string>;
  /** Acknowledged creates whose delete found no endpoint. */
  vanished: Set<string>;
  /** ClusterUnavailable's messages, counted: which call ran out of time. */
  unavailable: Map<string, number>;
  /** Error codes the clients met, counted. */
  errors: Map<string, number>;
}

/** Waits for `check`, failing with what `describe` says once `ms` has passed. */
async function eventually(check: () => Promise<boolean>, ms: number, describe: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${await describe().catch((e: unknown) => String(e))}`);
    await sleep(200);
  }
}

/**
 * The cluster log as etcd holds it, each record checked (seq, chain, schema) by the nodes' own reader.
 * etcd keeps only the records from the older of its two snapshots on (src/cluster/snapshots.ts), so
 * the oracle reads the log while the storm runs, each time on from where it got to: a record trimmed
 * before it was read fails the read, naming it.
 */
class LogCollector {
  readonly events: ClusterEvent[] = [];
  head = { seq: 0, hash: genesisHash };
  private reading: Promise<void> | null = null;
  constructor(private readonly endpoints: string[]) {}

  /** Reads what was appended since the last read; concurrent callers share one read. */
  read(): Promise<void> {
    this.reading ??= this.readOnce().finally(() => (this.reading = null));
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    const client = new Etcd3({ hosts: this.endpoints });
    try {
      const kv = client.namespace(defaultPrefix);
      // Every page at the first's revision: a node's reconciler may still append while this reads.
      let rev: string | undefined;
      for (;;) {
        const from = this.events.length + 1;
        const range = kv.getAll().inRange({ start: seqKey(from), end: logEnd }).sort("Key", "Ascend").limit(1000);
        const res = await (rev === undefined ? range : range.revision(rev)).exec();
        rev ??= res.header.revision;
        const first = res.kvs[0]?.key.toString();
        if (first !== undefined && Number(first.slice(-12)) !== from) throw new Error(`the log was trimmed past seq ${from} before the oracle read it`);
        for (const kv of res.kvs) {
          const e = openRecord(kv.value.toString(), this.events.length + 1, this.events.at(-1)?.hash ?? genesisHash);
          this.events.push(e);
        }
        if (!res.more) break;
      }
      const last = this.events.at(-1);
      this.head = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: genesisHash };
    } finally {
      client.close();
    }
  }
}

describe.skipIf(!haveEtcd)(`a crash storm of ${kills} SIGKILLs of nodes and etcd members under load${why}`, () => {
  let cluster: EtcdCluster;
  const nodes: StormNode[] = [];
  const root = fileTempDir("nls-storm-");

  beforeAll(async () => {
    cluster = await startEtcdCluster(3, "nls");
  });
  afterAll(async () => {
    for (const n of nodes) await stopNode(n, "SIGKILL");
    await cluster?.stop();
  });

  async function startNode(n: StormNode): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        n.daemon = await startDaemon(n.db, { env: n.env, socket: n.socket, args: n.args });
        n.api = new HttpApi({ host: n.daemon.host, actor: "storm" });
        return;
      } catch (e) {
        n.failedStarts.push((e as Error).message.slice(-600));
        if (attempt >= 10) throw e;
        await sleep(500);
      }
    }
  }

  /** Ends a node's daemon by its pid and waits for it to be gone; its clients see Unavailable meanwhile. */
  async function stopNode(n: StormNode, signal: NodeJS.Signals): Promise<void> {
    const d = n.daemon;
    const api = n.api;
    n.daemon = null;
    n.api = null;
    if (!d) return;
    const gone = d.child.exitCode !== null || d.child.signalCode !== null ? Promise.resolve() : new Promise((r) => d.child.once("exit", r));
    if (d.child.pid !== undefined && d.child.exitCode === null && d.child.signalCode === null) process.kill(d.child.pid, signal);
    await gone;
    await api?.close().catch(() => undefined);
    rmSync(d.dir, { recursive: true, force: true });
  }

  /** One client of one node: creates endpoints back to back, deleting one of its own when it holds more than eight. */
  async function client(n: StormNode, c: number, net: string, acked: Acked, stop: () => boolean): Promise<void> {
    const rand = seededRandom(seed + 7919 * (c + 1));
    const live: string[] = [];
    for (let k = 0; !stop(); k++) {
      const api = n.api;
      if (!api) {
        await sleep(50);
        continue;
      }
      const name = `${n.name}-c${c}-${k}`;
      const removing = live.length > 8 || (live.length > 0 && rand() < 0.3);
      const id = removing ? live.splice(Math.floor(rand() * live.length), 1)[0]! : undefined;
      try {
        if (id) {
          acked.deleting.add(id);
          await api.deleteEndpoint(net, id, false, { requestId: `${name}-rm` });
          acked.deleted.add(id);
        } else {
          const e = await api.createEndpoint(net, { name }, { requestId: name });
          acked.created.set(e.id, { node: n.name, name, at: new Date().toISOString() });
          live.push(e.id);
        }
      } catch (e) {
        const code = isNetledgerError(e) ? e.code : `thrown: ${(e as Error).message}`;
        acked.errors.set(code, (acked.errors.get(code) ?? 0) + 1);
        if (code === "ClusterUnavailable") {
          const why = (e as Error).message.replace(/[0-9a-f]{12,}/g, "…").slice(0, 160);
          acked.unavailable.set(why, (acked.unavailable.get(why) ?? 0) + 1);
        }
        if (code !== "Unavailable" && code !== "ClusterUnavailable") console.log(`storm client ${name}: ${code}: ${(e as Error).message}`);
        // An endpoint acknowledged to this client, gone before the client deleted it: a lost create.
        if (id && code === "NotFound") acked.vanished.add(id);
        await sleep(code === "Unavailable" ? 50 : 10);
      }
    }
  }

  it(
    "loses no acknowledged command, and every node ends with the log's state hash, nothing in doubt and verify ok",
    async () => {
      console.log(`clusterStorm: ${kills} kills, seed ${seed} (NETLEDGER_STORM_SEED=${seed} repeats the killer's schedule)`);
      const env = { NETLEDGER_CLUSTER: cluster.endpoints.join(",") };
      for (const [i, name] of ["nls-a", "nls-b", "nls-c"].entries()) {
        const dir = join(root, name);
        const pluginDir = join(dir, "plugins");
        const plugin = await fakePlugin(pluginDir, "gstorm", undefined, { scope: "global" });
        const nodeEnv = { ...env, NETLEDGER_NODE: name, NETLEDGER_PLUGIN_DIRS: pluginDir, NETLEDGER_RUN_DIR: join(dir, "run") };
        // Restarts are quick: a node is never gone for TTL + --reclaim-after, so nothing may be reclaimed.
        const args = ["--advertise-addr", `127.0.0.${i + 1}`, "--node-ttl", "5s", "--reclaim-after", "30s", "--cluster-timeout", "5s"];
        const n: StormNode = { name, db: join(dir, "netledger.db"), socket: join(dir, "d.sock"), env: nodeEnv, args, plugin, daemon: null, api: null, failedStarts: [] };
        nodes.push(n);
        await startNode(n);
      }
      const net = (await nodes[0]!.api!.createNetwork({ name: "storm", driver: "gstorm" })).id;
      await eventually(async () => (await Promise.all(nodes.map(async (n) => (await n.api!.networks()).some((x) => x.id === net)))).every(Boolean), 30_000, async () => "the network did not reach every node");

      const acked: Acked = { created: new Map(), deleting: new Set(), deleted: new Set(), vanished: new Set(), errors: new Map(), unavailable: new Map() };
      let stopping = false;
      const clients = nodes.flatMap((n, i) => [0, 1].map((c) => client(n, 2 * i + c, net, acked, () => stopping)));
      // The oracle's copy of the log, read as it grows (a read fails while etcd has no quorum: the next one goes on).
      const log = new LogCollector(cluster.endpoints);
      let trimmedUnread: unknown = null;
      const collecting = setInterval(() => void log.read().catch((e: unknown) => {
        if (String(e).includes("trimmed")) trimmedUnread = e;
      }), 500);

      // The killer: one target at a time (a node, a member, or one of each), down for a moment, restarted.
      const rand = seededRandom(seed);
      let done = 0;
      const timeline: string[] = [];
      const tally = { node: 0, member: 0 };
      try {
        while (done < kills) {
          await sleep(100 + rand() * 600);
          const roll = rand();
          const node = roll < 0.45 || roll >= 0.85 ? nodes[Math.floor(rand() * 3)]! : undefined;
          const member = roll >= 0.45 ? Math.floor(rand() * 3) : undefined;
          timeline.push(`${new Date().toISOString()} kill ${node?.name ?? ""} ${member !== undefined ? `member ${member}` : ""}`);
          if (node) await stopNode(node, "SIGKILL");
          if (member !== undefined) await cluster.kill(member);
          done += (node ? 1 : 0) + (member !== undefined ? 1 : 0);
          tally.node += node ? 1 : 0;
          tally.member += member !== undefined ? 1 : 0;
          await sleep(rand() * 800);
          if (member !== undefined) await cluster.start(member);
          if (node) await startNode(node);
          if (member !== undefined) await cluster.waitHealthy();
        }
      } finally {
        stopping = true;
        await Promise.all(clients);
        clearInterval(collecting);
      }
      expect(trimmedUnread).toBeNull();
      console.log(
        `clusterStorm: ${done} SIGKILLs (${tally.node} of nodes, ${tally.member} of etcd members); ${acked.created.size} creates and ${acked.deleted.size} deletes acknowledged; ` +
          `errors met: ${JSON.stringify(Object.fromEntries(acked.errors))}; failed restarts: ${nodes.reduce((s, n) => s + n.failedStarts.length, 0)}`,
      );
      const causes = [...acked.unavailable].sort((a, b) => b[1] - a[1]).slice(0, 4);
      console.log(`clusterStorm: ClusterUnavailable by cause:\n${causes.map(([why, n]) => `  ${n} × ${why}`).join("\n")}`);
      expect(done).toBeGreaterThanOrEqual(kills);
      expect(acked.created.size).toBeGreaterThan(0);

      // Everything up; each node recovers what the kills left open.
      await cluster.waitHealthy();
      for (const n of nodes) await n.api!.recover();
      await eventually(
        async () => (await Promise.all(nodes.map(async (n) => (await n.api!.state()).effects))).every((e) => e.pending.length === 0 && e.inDoubt.length === 0),
        60_000,
        async () => JSON.stringify(await Promise.all(nodes.map(async (n) => (await n.api!.state()).effects))),
      );

      // The log as etcd holds it: gap-free and chained (openRecord checks each record), its fold the reference.
      // Read again if a node folded past it: a reconciler may still be appending its repairs.
      await log.read();
      const fold = () => foldCluster(emptyClusterState(), log.events.map((e) => ({ event: e, seq: e.seq })));
      await eventually(
        async () => {
          const heads = await Promise.all(nodes.map((n) => n.api!.clusterStatus()));
          if (heads.some((s) => s.head.seq > log.head.seq)) await log.read();
          const hash = stateHash(canonicalJson(fold()));
          return heads.every((s) => s.head.seq === log.head.seq && s.stateHash === hash);
        },
        60_000,
        async () => `log head ${log.head.seq}; nodes: ${JSON.stringify(await Promise.all(nodes.map((n) => n.api!.clusterStatus().then((s) => [s.head.seq, s.stateHash]))))}`,
      );
      expect(log.events.length).toBe(log.head.seq);
      expect(log.events.at(-1)?.hash ?? genesisHash).toBe(log.head.hash);
      const final = fold();

      const created = new Set(log.events.flatMap((e) => (e.type === "global.endpoint.created" ? [e.data.id] : [])));
      const deleted = new Set(log.events.flatMap((e) => (e.type === "global.endpoint.deleted" ? [e.data.id] : [])));
      // Every kill was short: no node was ever lost, so nothing was reclaimed.
      expect(log.events.filter((e) => e.type === "global.node.lost").map((e) => e.data)).toEqual([]);
      for (const [id, a] of acked.created) expect(created.has(id), `acknowledged create of ${a.name}`).toBe(true);
      for (const id of acked.deleted) expect(deleted.has(id), `acknowledged delete of ${acked.created.get(id)?.name}`).toBe(true);
      const live = new Map(globalEndpoints(final).map((e) => [e.id, e]));
      // What the logs say of an endpoint (etcd's and its node's own), with the kills: the story of a failure.
      const story = async (id: string, a: { node: string; name: string; at: string }) => {
        const local: string[] = [];
        for await (const e of nodes.find((n) => n.name === a.node)!.api!.events({ stream: id })) local.push(`local seq ${e.seq} ${e.type} at ${e.meta.time} by ${e.meta.actor} ${e.meta.requestId ?? ""}`);
        const cluster = log.events.filter((e) => e.stream === id).map((e) => `seq ${e.seq} ${e.type} by ${e.meta.node} at ${e.meta.time} ${JSON.stringify(e.data)}`);
        return [`${a.name} acknowledged at ${a.at}`, ...cluster, ...local, ...timeline].join("\n");
      };
      const deletedLive = [...acked.deleted].filter((id) => live.has(id));
      const lost = [...acked.created].filter(([id, a]) => acked.vanished.has(id) || (!acked.deleting.has(id) && live.get(id)?.node !== a.node));
      for (const [id, a] of lost.slice(0, 2)) console.log(`clusterStorm: acknowledged create lost:\n${await story(id, a)}`);
      expect(lost.map(([, a]) => a.name)).toEqual([]);
      expect(deletedLive.map((id) => acked.created.get(id)?.name)).toEqual([]);
      const addresses = [...live.values()].map((e) => e.address);
      expect(new Set(addresses).size).toBe(addresses.length);

      // Each node holds exactly the endpoints the cluster holds for it (its reconciler finished), and verifies.
      for (const n of nodes) {
        const want = endpointsOfNode(final, n.name).sort();
        await eventually(
          async () => JSON.stringify((await n.api!.endpoints(net)).map((e) => e.id).sort()) === JSON.stringify(want),
          60_000,
          async () => {
            const held = new Set((await n.api!.endpoints(net)).map((e) => e.id));
            const odd = [...want.filter((id) => !held.has(id)), ...[...held].filter((id) => !want.includes(id))];
            const stories = await Promise.all(odd.slice(0, 2).map((id) => story(id, acked.created.get(id) ?? { node: n.name, name: "(not acknowledged)", at: "never" })));
            return `${n.name} holds ${held.size} endpoints, the cluster gives it ${want.length}; apart:\n${stories.join("\n\n")}`;
          },
        );
        expect(await n.api!.verify(), `verify on ${n.name}`).toMatchObject({ ok: true, problems: [] });
        expect((await n.api!.state()).effects).toEqual({ pending: [], inDoubt: [] });
      }
    },
    120_000 + kills * 8_000,
  );
});
