import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Controller } from "../src/controller/controller.js";
import type { DriverModule, NetworkDriver } from "../src/drivers/contract.js";
import { cycle } from "./cycle.js";
import { commitMs, postRoundTripMs } from "./floors.js";
import { type Benchmark, benchDir, msPerOp, paired } from "./harness.js";

/**
 * The endpoint cycle against a plugin process on a UNIX socket that does no work. Each step is an
 * effect: the intent committed, the call made, the outcome committed. The driver here is a minimal
 * embedder driver that makes the plugin protocol's calls over a keep-alive HTTP agent, because the
 * real remote driver (src/drivers/remote) is not on this branch yet.
 */
const note = "measured with a minimal embedder driver speaking the plugin protocol (bench/remote.ts), not src/drivers/remote, which is not on main yet";

function pluginDriver(socketPath: string): NetworkDriver & { close(): Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const call = (method: string, body: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(
        {
          socketPath,
          path: `/NetworkDriver.${method}`,
          method: "POST",
          agent,
          headers: { "Content-Type": "application/vnd.docker.plugins.v1.2+json", "Content-Length": Buffer.byteLength(text) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            try {
              const r = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
              if (typeof r.Err === "string" && r.Err) reject(new Error(r.Err));
              else resolve(r);
            } catch (e) {
              reject(e as Error);
            }
          });
        },
      );
      req.on("error", reject);
      req.end(text);
    });
  return {
    async createNetwork(req) {
      await call("CreateNetwork", { NetworkID: req.networkId, Options: req.options, IPv4Data: [], IPv6Data: [] });
    },
    async deleteNetwork(req) {
      await call("DeleteNetwork", { NetworkID: req.networkId });
    },
    async createEndpoint(req) {
      await call("CreateEndpoint", { NetworkID: req.networkId, EndpointID: req.endpointId, Interface: {}, Options: {} });
      return {};
    },
    async deleteEndpoint(req) {
      await call("DeleteEndpoint", { NetworkID: req.networkId, EndpointID: req.endpointId });
    },
    async endpointOperInfo(req) {
      return (await call("EndpointOperInfo", { NetworkID: req.networkId, EndpointID: req.endpointId })).Value as Record<string, unknown>;
    },
    async join(req) {
      await call("Join", { NetworkID: req.networkId, EndpointID: req.endpointId, SandboxKey: req.sandboxKey ?? "", Options: {} });
      return {};
    },
    async leave(req) {
      await call("Leave", { NetworkID: req.networkId, EndpointID: req.endpointId });
    },
    async close() {
      agent.destroy();
    },
  };
}

async function startPlugin(socketPath: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL("./pluginServer.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, socketPath], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await Promise.race([once(child.stdout!, "data"), once(child, "exit").then(() => [null])])) as [Buffer | null];
  if (!chunk?.toString().includes("ready")) throw new Error("the bench plugin did not start");
  return child;
}

const target6: Benchmark = async () => {
  const dir = benchDir();
  const socketPath = join(dir, "benchplugin.sock");
  const plugin = await startPlugin(socketPath);
  const driver = pluginDriver(socketPath);
  const module: DriverModule = {
    init(register) {
      register("benchplugin", driver, { dataScope: "local", sideEffects: true, usesIpam: false });
    },
  };
  const c = await Controller.open({ db: join(dir, "remote.db"), runDir: join(dir, "run"), drivers: [module] });
  try {
    const net = await c.newNetwork("benchplugin", "bench");
    const sb = await c.newSandbox("bench-container", { netns: null });
    let k = 0;
    // The round trip is to the same plugin process: a call to another process waits for it to be scheduled.
    const { value, floor, ratio } = await paired(
      7,
      async () => 4 * (commitMs(50) + (await postRoundTripMs(socketPath, 50))),
      () => msPerOp(30, () => cycle({ net, sb }, `r${k++}`), 1),
    );
    return [
      {
        name: "target6",
        label: "endpoint cycle against a do-nothing plugin process on a UNIX socket",
        value,
        unit: "ms/cycle",
        floor,
        floorName: "4 × (durable commit + round trip to the plugin) (ms)",
        ratio,
        target: "ratio <= 1.5",
        met: ratio <= 1.5,
        note,
      },
    ];
  } finally {
    await c.close();
    plugin.kill("SIGTERM");
    await once(plugin, "exit");
  }
};

export const benchmarks: Benchmark[] = [target6];
