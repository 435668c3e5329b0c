import { join } from "node:path";
import { Controller } from "../src/controller/controller.js";
import { cycle } from "./cycle.js";
import { netnsAddMs, vethCycleMs } from "./floors.js";
import { type Benchmark, benchDir, isRoot, msPerOp, result, skipped } from "./harness.js";

/**
 * Root only: a sandbox with a new network namespace, and the bridge endpoint cycle (veth pair, moved
 * into the sandbox's namespace, addressed; then removed). Everything is made under a database of the
 * bench's own and removed again (entities deleted, then `gc` for anything left).
 */
const sandboxTarget = { name: "target7", label: "new sandbox with its own network namespace", unit: "ms", floorName: "`ip netns add` (ms)", target: "<= 5 ms" };
const bridgeTarget = { name: "target7b", label: "bridge endpoint cycle (create, join, leave, delete)", unit: "ms/cycle", floorName: "veth pair add, move to a namespace, delete with `ip` (ms)", target: "<= 25 ms" };

const target7: Benchmark = async () => {
  if (!isRoot) return [skipped(sandboxTarget, "needs root (namespaces, links): skipped"), skipped(bridgeTarget, "needs root: skipped")];
  const dir = benchDir();
  const c = await Controller.open({ db: join(dir, "kernel.db"), runDir: join(dir, "run") });
  try {
    let k = 0;
    const made: string[] = [];
    const nsMs = await msPerOp(10, async () => made.push((await c.newSandbox(`nsb${k++}`)).id), 2);
    for (const id of made) await c.sandbox(id)!.delete();
    const net = await c.newNetwork("bridge", "benchbr", { ipam: { config: [{ subnet: "10.213.77.0/24" }] } });
    const sb = await c.newSandbox("bench-bridge");
    const brMs = await msPerOp(10, () => cycle({ net, sb }, `b${k++}`), 2);
    await sb.delete();
    await net.delete();
    const [nsFloor, vethFloor] = [await netnsAddMs(), await vethCycleMs()];
    return [
      result({ ...sandboxTarget, value: nsMs, floor: nsFloor, met: nsMs <= 5 }),
      result({ ...bridgeTarget, value: brMs, floor: vethFloor, met: brMs <= 25 }),
    ];
  } finally {
    await c.gc().catch(() => undefined);
    await c.close();
  }
};

export const benchmarks: Benchmark[] = [target7];
