import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { HttpApi } from "../src/daemon/client.js";
import { rawPost } from "./rawHttp.js";

/**
 * One client process of the daemon load: sends commands back to back for a while and reports, as one
 * JSON line on stdout, each command's round trip and the request ids the daemon acknowledged.
 *   tsx bench/daemonClient.ts daemon|raw SOCKET INDEX DURATION_MS
 * `daemon`: on a network and sandbox of its own, endpoints are created, joined, left and deleted, each
 * command with a request id. `raw`: the same number of small JSON POSTs to the raw server (the floor).
 */
export interface ClientReport {
  latenciesMs: number[];
  acked: string[];
  error: string | null;
}

const [mode, socket, index, duration] = process.argv.slice(2) as [string, string, string, string];
const until = performance.now() + Number(duration);
const report: ClientReport = { latenciesMs: [], acked: [], error: null };

async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await fn();
  report.latenciesMs.push(performance.now() - t);
  return r;
}

async function daemonLoad(): Promise<void> {
  const api = new HttpApi({ host: `unix://${socket}`, actor: `bench-${index}` });
  const net = `bench-${index}`;
  const sb = `bench-sandbox-${index}`;
  try {
    await api.createNetwork({ name: net, driver: "null" }, { requestId: `${net}-net` });
    await api.createSandbox({ containerId: sb, netns: null }, { requestId: `${net}-sb` });
    for (let k = 0; performance.now() < until; k++) {
      const id = `${net}-${k}`;
      const steps: [string, () => Promise<unknown>][] = [
        [`${id}-create`, () => api.createEndpoint(net, { name: `e${k}` }, { requestId: `${id}-create` })],
        [`${id}-join`, () => api.join(net, `e${k}`, sb, { requestId: `${id}-join` })],
        [`${id}-leave`, () => api.leave(net, `e${k}`, sb, { requestId: `${id}-leave` })],
        [`${id}-delete`, () => api.deleteEndpoint(net, `e${k}`, false, { requestId: `${id}-delete` })],
      ];
      for (const [requestId, step] of steps) {
        await timed(step);
        report.acked.push(requestId);
      }
    }
  } finally {
    await api.close();
  }
}

async function rawLoad(): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  const body = JSON.stringify({ name: "e0", driver: "null" });
  const post = () => rawPost(socket, agent, "/networks", body);
  try {
    while (performance.now() < until) await timed(post);
  } finally {
    agent.destroy();
  }
}

try {
  await (mode === "raw" ? rawLoad() : daemonLoad());
} catch (e) {
  report.error = e instanceof Error ? e.message : String(e);
}
process.stdout.write(JSON.stringify(report) + "\n");
