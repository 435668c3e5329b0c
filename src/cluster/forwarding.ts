import { randomBytes } from "node:crypto";
import type { ClusterCommand, ClusterNewEvent } from "../domain/cluster/events.js";
import { isErrorCode, NetledgerError } from "../domain/errors.js";
import type { Answer, Appended } from "./appender.js";
import type { ClusterLog } from "./clusterLog.js";
import { LastingWatch } from "./lastingWatch.js";
import { appenderKey, commandJson, reqPrefix, resPrefix } from "./records.js";
import { RequestWrites } from "./requestWrites.js";

const pollMs = 500;
/** How long a node that appended directly (the appender silent) keeps doing so before forwarding again. */
const directForMs = 5000;

/**
 * A cluster-wide group commit. Three nodes appending each for itself met a conflict about every third
 * endpoint, each costing a round trip; here one node, elected by an etcd key held with its node lease
 * (`appender`), appends for all: the others put each command under `req/<id>` (many to a transaction
 * under load: src/cluster/requestWrites.ts), the appender reads the requests into its own batches and
 * answers each in the transaction that decides it (`res/<id>`, the request deleted, on condition that
 * it still exists: a command is appended once, whoever appends it).
 *
 * The election only makes appends cheaper; it never decides what is right: every append is still
 * conditioned on the head, so two nodes that both think they append stay correct. A sender whose
 * request is not answered within `fallbackMs` takes it back (deleting it, on condition it is still
 * there: if it is gone, its answer is) and appends directly, and goes on appending directly for a while,
 * so an appender that died costs one delay, not one per command until its lease expires.
 */
export class Forwarding {
  /** The node that holds `appender` as last seen (null: none, or not known). */
  leader: string | null = null;
  private readonly waiting = new Map<string, (a: Answer) => void>();
  private watchers: LastingWatch[] = [];
  private timer: NodeJS.Timeout | undefined;
  private directUntil = 0;
  private stopped = false;
  /** Commands this node forwarded, and how many it took back to append itself. */
  forwarded = 0;
  fellBack = 0;
  private readonly writes: RequestWrites;

  constructor(
    private readonly log: ClusterLog,
    /** This node's lease id (its `nodes/<name>` key's), or null while it has none. */
    private readonly leaseId: () => Promise<string | null>,
    private readonly fallbackMs = Math.min(1000, Math.max(100, log.conn.o.timeoutMs / 4)),
  ) {
    this.writes = new RequestWrites(log.conn);
  }

  private get name(): string {
    return this.log.conn.o.node;
  }

  async start(): Promise<void> {
    const kv = this.log.conn.kv;
    // A request's id begins with its sender's name (`<node>/<hex>`), so each node watches only the
    // answers to its own requests, not every node's.
    const res = new LastingWatch(this.log.conn, "watch the answers", async () => {
      const w = await kv.watch().prefix(`${resPrefix}${this.name}/`).create();
      w.on("put", (kvp) => this.answered(kvp.key.toString().slice(resPrefix.length), kvp.value.toString()));
      // Made again (etcd cancelled it): answers written meanwhile are read, now that the watch is on.
      if (this.waiting.size > 0) {
        const standing = await kv.getAll().prefix(`${resPrefix}${this.name}/`).strings();
        for (const [key, value] of Object.entries(standing)) this.answered(key.slice(key.indexOf(resPrefix) + resPrefix.length), value);
      }
      return w;
    });
    const app = new LastingWatch(this.log.conn, "watch the appender", async () => {
      const w = await kv.watch().key(appenderKey).create();
      w.on("put", (kvp) => this.follow(kvp.value.toString()));
      w.on("delete", () => {
        this.follow(null);
        void this.campaign();
      });
      return w;
    });
    this.watchers = [res, app]; // stop() cancels whichever was made, if the other cannot be
    await res.start();
    await app.start();
    await this.campaign();
    this.timer = setInterval(() => {
      this.follow(this.leader);
      void (this.leader === this.name ? this.readRequests() : this.campaign());
    }, pollMs);
    this.timer.unref();
  }

  /**
   * Notes who appends. Only the appender watches `req/` (the others would be told of every request
   * only to ignore it); the watch carries each request to it at once, and its poll picks up any the
   * watch missed, or all while the watch could not be made.
   */
  private follow(leader: string | null): void {
    this.leader = leader;
    const mine = leader === this.name && !this.stopped;
    if (mine && !this.requests) {
      const kv = this.log.conn.kv;
      // Made again if etcd cancels it; the poll's read of the requests covers the time between.
      const watch = new LastingWatch(this.log.conn, "watch the requests", async () => {
        const w = await kv.watch().prefix(reqPrefix).create();
        w.on("put", (kvp) => {
          if (this.leader !== this.name || this.stopped) return;
          this.log.enqueueRemote(kvp.key.toString().slice(reqPrefix.length), JSON.parse(kvp.value.toString()) as ClusterCommand, kvp.value.length);
        });
        return w;
      });
      this.requests = watch.start().then(
        () => watch,
        () => {
          this.requests = null; // tried again at the next poll
          return null;
        },
      );
    } else if (!mine && this.requests) this.unwatchRequests();
  }

  private requests: Promise<LastingWatch | null> | null = null;
  private unwatchRequests(): Promise<unknown> {
    const w = this.requests;
    this.requests = null;
    return w ? w.then((x) => x?.cancel()).catch(() => undefined) : Promise.resolve();
  }

  private answered(id: string, value: string): void {
    this.waiting.get(id)?.(JSON.parse(value) as Answer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.watchers.map((w) => w.cancel()));
    await this.unwatchRequests();
    await this.writes.drain();
    // Handing over at once: the others need not wait for this node's lease to expire.
    if (this.leader === this.name) {
      const kv = this.log.conn.kv;
      await this.log.conn
        .call("give up appending", (opts) => kv.if(appenderKey, "Value", "==", this.name).then(kv.delete().key(appenderKey)).options(opts).commit(), 1000)
        .catch(() => undefined);
    }
  }

  /** Takes `appender` if nobody holds it (with this node's lease, so it goes when this node does). */
  private async campaign(): Promise<void> {
    if (this.stopped) return;
    try {
      const id = await this.leaseId();
      if (!id) return;
      const kv = this.log.conn.kv;
      const r = await this.log.conn.call("elect an appender", (opts) =>
        kv.if(appenderKey, "Create", "==", 0).then(kv.put(appenderKey).value(this.name).lease(id)).else(kv.get(appenderKey)).options(opts).commit(),
      );
      this.follow(r.succeeded ? this.name : (r.responses[0]?.response_range?.kvs?.[0]?.value.toString() ?? null));
      if (this.leader === this.name) await this.readRequests();
    } catch {
      // No answer: the next look tries again; meanwhile commands are appended directly if need be.
    }
  }

  /** The appender's side: every standing request goes into this node's next batch. */
  private async readRequests(): Promise<void> {
    if (this.stopped || this.leader !== this.name) return;
    const kv = this.log.conn.kv;
    const reqs = await this.log.conn.call("read the requests", (opts) => kv.getAll().prefix(reqPrefix).limit(500).options(opts).strings()).catch(() => ({}));
    for (const [key, value] of Object.entries(reqs)) this.log.enqueueRemote(key.slice(reqPrefix.length), JSON.parse(value) as ClusterCommand, Buffer.byteLength(value));
  }

  /** Appends a command: through the appender when another node is it, else directly. */
  submit(command: ClusterCommand, decided?: (events: readonly ClusterNewEvent[]) => void): Promise<Appended> {
    // Told of the decision early only as the elected appender, whose append lands as decided; a node
    // appending for itself meets conflicts, after which the command is often decided another way.
    if (this.leader === this.name && !this.stopped && this.log.conn.o.forward !== false) return this.log.submit(command, decided);
    if (this.log.conn.o.forward === false || !this.leader || this.stopped || Date.now() < this.directUntil) return this.log.submit(command);
    return this.forward(command);
  }

  private async forward(command: ClusterCommand): Promise<Appended> {
    const { text, bytes } = commandJson(command); // too large for a record: refused here, before a request is put (the appender weighs its own)
    const deadline = Date.now() + this.log.conn.o.timeoutMs;
    const id = `${this.name}/${randomBytes(12).toString("hex")}`;
    const kv = this.log.conn.kv;
    let answered!: (a: Answer) => void;
    const answer = new Promise<Answer>((r) => (answered = r));
    this.waiting.set(id, answered);
    try {
      this.forwarded++;
      await this.writes.put(id, text, deadline, bytes);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), this.fallbackMs)));
      let a = await Promise.race([answer, late]).finally(() => clearTimeout(timer));
      if (a === "late") {
        // Take the request back, unless the appender has answered it meanwhile.
        const r = await this.log.conn.call("take a request back", (opts) =>
          kv.if(reqPrefix + id, "Create", ">", 0).then(kv.delete().key(reqPrefix + id)).else(kv.get(resPrefix + id)).options(opts).commit(),
        );
        if (r.succeeded) {
          this.fellBack++;
          this.directUntil = Date.now() + directForMs;
          return await this.log.submit(command);
        }
        const v = r.responses[0]?.response_range?.kvs?.[0]?.value;
        a = v ? (JSON.parse(v.toString()) as Answer) : await Promise.race([answer, expiry(deadline)]);
      }
      this.writes.forget(id);
      if (!a.ok) {
        const { code, message, ...details } = a.error;
        throw new NetledgerError(isErrorCode(code) ? code : "Internal", message, details);
      }
      // The command's batch is in the log: fold to it, so what follows here sees it.
      await this.log.foldTo(a.at, deadline);
      return this.log.eventsAt(a.from, a.count);
    } finally {
      this.waiting.delete(id);
    }
  }
}

function expiry(deadline: number): Promise<never> {
  return new Promise((_, reject) =>
    setTimeout(() => reject(new NetledgerError("ClusterUnavailable", "the appender's answer to a forwarded command was not read in time", { inDoubt: true })), Math.max(1, deadline - Date.now())),
  );
}
