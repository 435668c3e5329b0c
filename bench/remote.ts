import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Controller } from "../src/controller/controller.js";
import { cycle } from "./cycle.js";
import { commitMs, postRoundTripMs, rawMoveCycleMs, rawNamespace } from "./floors.js";
import { type Benchmark, benchDir, isRoot, msPerOp, paired, skipped } from "./harness.js";

/**
 * The endpoint cycle against a plugin process on a UNIX socket that does no work, through the remote
 * driver (src/drivers/remote): discovered in a plugin directory and activated as Docker does. Each step
 * is an effect: the intent committed, the call made, the outcome committed.
 */
async function startPlugin(socketPath: string, server = "./pluginServer.ts"): Promise<ChildProcess> {
  const script = fileURLToPath(new URL(server, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, socketPath], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await Promise.race([once(child.stdout!, "data"), once(child, "exit").then(() => [null])])) as [Buffer | null];
  if (!chunk?.toString().includes("ready")) throw new Error("the bench plugin did not start");
  return child;
}

const target6: Benchmark = async () => {
  const dir = benchDir();
  const socketPath = join(dir, "benchplugin.sock");
  const plugin = await startPlugin(socketPath);
  const c = await Controller.open({ db: join(dir, "remote.db"), runDir: join(dir, "run"), pluginDirs: [dir] });
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
      },
    ];
  } finally {
    await c.close();
    plugin.kill("SIGTERM");
    await once(plugin, "exit");
  }
};

const vethTarget = {
  name: "target6b",
  label: "remote-driver cycle, the plugin naming a real veth moved into the sandbox and back",
  unit: "ms/cycle",
  floorName: "the same kernel work raw: move in by rtnetlink, configured and moved out by a socket inside (ms)",
  target: "<= 11 ms",
};

/** Root only: the cycle against a plugin whose Join names a real veth (vethPluginServer.ts). */
const target6b: Benchmark = async () => {
  if (!isRoot) return [skipped(vethTarget, "needs root (namespaces, links): skipped")];
  const dir = benchDir();
  const socketPath = join(dir, "benchveth.sock");
  const plugin = await startPlugin(socketPath, "./vethPluginServer.ts");
  const c = await Controller.open({ db: join(dir, "remoteveth.db"), runDir: join(dir, "run"), pluginDirs: [dir] });
  const raw = rawNamespace(`nlbench-mv-${process.pid}`);
  const rawLink = `nlbm${process.pid % 100000}`;
  execFileSync("ip", ["link", "add", rawLink, "type", "veth", "peer", "name", `${rawLink}p`]);
  try {
    const net = await c.newNetwork("benchveth", "benchveth", { ipam: { config: [{ subnet: "10.213.79.0/24" }] } });
    const sb = await c.newSandbox("bench-veth");
    let k = 0;
    const { value, floor, ratio } = await paired(5, () => rawMoveCycleMs(raw, rawLink, 5), () => msPerOp(5, () => cycle({ net, sb }, `v${k++}`), 1));
    await sb.delete();
    await net.delete();
    return [{ ...vethTarget, value, floor, ratio, met: value <= 11 }];
  } finally {
    await c.gc().catch(() => undefined);
    await c.close();
    raw.close();
    for (const l of [rawLink]) {
      try {
        execFileSync("ip", ["link", "del", l], { stdio: "ignore" });
      } catch {
        /* gone */
      }
    }
    plugin.kill("SIGTERM");
    await once(plugin, "exit");
  }
};

export const benchmarks: Benchmark[] = [target6, target6b];
