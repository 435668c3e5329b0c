import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { ClusterNode } from "../src/cluster/node.js";
import { Controller } from "../src/controller/controller.js";
import { nullDriver } from "../src/drivers/null/index.js";

/**
 * One node of the contention benchmark (bench/cluster.ts), in its own thread: each node has its own
 * event loop and SQLite file as three hosts would, so the figure is not three nodes' synchronous
 * SQLite commits queued on one loop. Told `run`, it creates endpoints flat out on the given global
 * network with `callers` concurrent callers for `ms`, and answers with their latencies.
 */
interface Setup {
  endpoints: string[];
  prefix: string;
  name: string;
  dir: string;
  address: string;
  forward: boolean;
}
const setup = workerData as Setup;
const port = parentPort!;
const controller = await Controller.open({ db: join(setup.dir, `${setup.name}.db`), runDir: join(setup.dir, `run-${setup.name}`), plugins: false });
controller.registerDriver("gnull", nullDriver, { dataScope: "global", sideEffects: false, usesIpam: true });
const node = await ClusterNode.start(controller, { endpoints: setup.endpoints, node: setup.name, advertiseAddr: setup.address, timeoutMs: 5000, prefix: setup.prefix, forward: setup.forward, ttlMs: 15_000, reclaimAfterMs: 60_000 });

port.on("message", (m: { type: "run"; network: string; callers: number; ms: number; warmMs: number } | { type: "close" }) => {
  if (m.type === "close") {
    void (async () => {
      await node.close({ revoke: true });
      await controller.close();
      port.postMessage({ type: "closed" });
    })();
    return;
  }
  void (async () => {
    while (!controller.network(m.network)) await new Promise((r) => setTimeout(r, 10));
    const lat: number[] = [];
    let errors = 0;
    // The first warmMs are not counted: a thread's code is not yet compiled by V8's optimising tiers.
    const start = performance.now() + m.warmMs;
    const end = start + m.ms;
    const counted = { conflicts: node.log.conflicts, forwarded: node.forwarding.forwarded, fellBack: node.forwarding.fellBack };
    setTimeout(() => Object.assign(counted, { conflicts: node.log.conflicts, forwarded: node.forwarding.forwarded, fellBack: node.forwarding.fellBack }), m.warmMs);
    await Promise.all(
      Array.from({ length: m.callers }, async (_, c) => {
        for (let j = 0; performance.now() < end; j++) {
          const t0 = performance.now();
          try {
            await controller.run({ type: "endpoint.create", network: m.network, name: `${setup.name}-${c}-${j}` });
            if (t0 >= start) lat.push(performance.now() - t0);
          } catch {
            if (t0 >= start) errors++;
          }
        }
      }),
    );
    port.postMessage({ type: "done", lat, errors, conflicts: node.log.conflicts - counted.conflicts, forwarded: node.forwarding.forwarded - counted.forwarded, fellBack: node.forwarding.fellBack - counted.fellBack });
  })();
});
port.postMessage({ type: "ready" });
