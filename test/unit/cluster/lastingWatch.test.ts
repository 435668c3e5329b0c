import { EventEmitter } from "node:events";
import type { Watcher } from "etcd3";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterConnection } from "../../../src/cluster/connection.js";
import { LastingWatch } from "../../../src/cluster/lastingWatch.js";

/** A watch whose cancel never completes, as the etcd client's does for a watch it lost track of. */
function stuckWatch(): { watcher: Watcher; cancels: () => number } {
  let cancels = 0;
  const w = new EventEmitter() as unknown as Watcher;
  (w as unknown as { cancel: () => Promise<void> }).cancel = () => {
    cancels++;
    return new Promise<void>(() => undefined);
  };
  return { watcher: w, cancels: () => cancels };
}

/** A real connection (its calls bounded by timeoutMs); the fake watches never reach etcd, so none is contacted. */
const conns: ClusterConnection[] = [];
const connection = (timeoutMs: number) => {
  const c = new ClusterConnection({ endpoints: ["http://127.0.0.1:9"], node: "t", advertiseAddr: "127.0.0.1", timeoutMs });
  conns.push(c);
  return c;
};
afterEach(() => {
  for (const c of conns.splice(0)) c.close();
});

describe("a watch made again when etcd cancels it", () => {
  it("gives up cancelling a watch the client never lets go of after --cluster-timeout, so a node's close ends", async () => {
    const stuck = stuckWatch();
    const watch = new LastingWatch(connection(50), "watch", () => Promise.resolve(stuck.watcher));
    await watch.start();
    await watch.cancel();
    expect(stuck.cancels()).toBe(1);
  });

  it("makes the watch again when etcd cancels it, and not once it is cancelled here", async () => {
    const made: ReturnType<typeof stuckWatch>[] = [];
    const watch = new LastingWatch(connection(50), "watch", () => {
      const w = stuckWatch();
      made.push(w);
      return Promise.resolve(w.watcher);
    });
    await watch.start();
    (made[0]!.watcher as unknown as EventEmitter).emit("error", new Error("compacted"));
    await new Promise((r) => setImmediate(r));
    expect(made).toHaveLength(2);
    expect(watch.remade).toBe(1);
    await watch.cancel();
    expect(made[1]!.cancels()).toBe(1);
    expect(made[0]!.cancels()).toBe(0);
  });
});
