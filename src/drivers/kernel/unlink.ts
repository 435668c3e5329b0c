import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";

/**
 * Link deletes that do not hold the event loop for the kernel's clean-up. An RTM_DELLINK is answered
 * only after the kernel has unlisted the link and then waited for an RCU grace period and for the
 * device's last references (netdev_run_todo): 15–50 ms on this machine, during which the thread that
 * sent it is blocked in sendmsg(2). The link is gone — its name free, its addresses and routes removed,
 * its veth peer with it — long before that answer. So the request is sent from a worker thread with a
 * socket of its own, and the caller is done as soon as the link no longer answers to its index (or the
 * worker's answer comes first: a refusal is the caller's error).
 *
 * The worker is started at the second delete of a process, not the first: a command-line process
 * that deletes one link would pay more to start a thread (~40 ms: loading the package's socket layer)
 * than the wait it saves. Until it is ready, and after it fails, callers delete in-line as before.
 */

/** What the worker answers per request: "ok", or the package's error message. */
interface Answer {
  id: number;
  error?: string;
}

// The worker's code: a plain CommonJS script (no TypeScript, no tsx) given the package's path.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { createNetlink } = require(workerData.netlink);
const socket = createNetlink(0); // NETLINK_ROUTE
parentPort.on("message", ({ id, index }) => {
  const ifinfomsg = Buffer.alloc(16);
  ifinfomsg.writeInt32LE(index, 4);
  socket.request(17 /* RTM_DELLINK */, [ifinfomsg]).then(
    () => parentPort.postMessage({ id }),
    (e) => parentPort.postMessage({ id, error: String(e && e.message || e) }),
  );
});
parentPort.postMessage({ id: 0 });
`;

let worker: Worker | undefined;
let ready = false;
let deletes = 0;
let nextId = 1;
let sent = 0;
const waiting = new Map<number, (a: Answer) => void>();

function start(): void {
  const netlink = join(dirname(createRequire(import.meta.url).resolve("netlink")), "netlink.js");
  const w = new Worker(workerSource, { eval: true, workerData: { netlink } });
  worker = w;
  w.on("message", (a: Answer) => {
    if (a.id === 0) ready = true;
    else waiting.get(a.id)?.(a);
    waiting.delete(a.id);
  });
  const fail = (why: string) => {
    ready = false;
    for (const [id, settle] of waiting) settle({ id, error: why });
    waiting.clear();
  };
  w.on("error", (e) => fail(`the link-delete worker failed: ${e.message}`));
  w.on("exit", () => fail("the link-delete worker stopped"));
  // After the listeners: adding a "message" listener references the worker's port again.
  w.unref();
}

/**
 * Sends the delete of the caller's link `index` from the worker when it is ready; undefined when it is
 * not (the caller deletes in-line). The promise settles with the worker's answer: undefined for done,
 * the error message otherwise.
 */
export function deleteFromWorker(index: number): Promise<string | undefined> | undefined {
  if (++deletes === 2 && !worker) start();
  if (!ready || !worker) return undefined;
  const id = nextId++;
  sent++;
  const answer = new Promise<string | undefined>((resolve) => waiting.set(id, (a) => resolve(a.error)));
  worker.postMessage({ id, index });
  return answer;
}

/** How many deletes this process has sent from the worker, and whether it is ready (tests). */
export const deletesFromWorker = (): number => sent;
export const unlinkWorkerReady = (): boolean => ready;

/** Stops the worker (tests; a process's exit stops it anyway, since it is unreferenced). */
export async function stopUnlinkWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  ready = false;
  deletes = 0;
  await w?.terminate();
}
