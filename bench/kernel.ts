import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Controller } from "../src/controller/controller.js";
import { isNamespace } from "../src/drivers/netns/namespaces.js";
import { cycle } from "./cycle.js";
import { netnsAddDeleteMs, rawBridgeCycleMs, rawNamespace } from "./floors.js";
import { type Benchmark, type BenchResult, benchDir, isRoot, msPerOp, paired, skipped } from "./harness.js";

/**
 * Root only: a sandbox with a new network namespace made and deleted, and the bridge endpoint cycle
 * (veth pair made with its end in the sandbox's namespace, addressed; then removed). Each figure is
 * measured in rounds alternating with its floor, the same kernel work issued raw the fastest way the
 * project knows (floors.ts), because the machine's load drifts. Everything is made under a database of
 * the bench's own and removed again (entities deleted, then `gc` for anything left).
 */
const createTarget = { name: "target7", label: "new sandbox with its own network namespace, create", unit: "ms", floorName: "the same raw: unshare, bind, lo up (ms)", target: "<= 5 ms" };
const deleteTarget = { name: "target7c", label: "sandbox with its own namespace, delete (namespace gone)", unit: "ms", floorName: "the same raw: unbind, remove (ms)", target: "<= 5 ms, gone" };
const bridgeTarget = {
  name: "target7b",
  label: "bridge endpoint cycle (create, join: veth in the sandbox, addressed; leave, delete)",
  unit: "ms/cycle",
  floorName: "the same kernel work raw: veth by rtnetlink, configured by a socket inside, delete (ms)",
  target: "<= 16 ms",
};

const target7: Benchmark = async () => {
  if (!isRoot) return [createTarget, deleteTarget, bridgeTarget].map((t) => skipped(t, "needs root (namespaces, links): skipped"));
  const dir = benchDir();
  const c = await Controller.open({ db: join(dir, "kernel.db"), runDir: join(dir, "run") });
  const raw = rawNamespace(`nlbench-br-${process.pid}`);
  const rawBridge = `nlbbr${process.pid % 100000}`;
  try {
    let k = 0;
    let gone = true;
    const times = { create: [] as number[], del: [] as number[] };
    // One round: 5 sandboxes made, then deleted; each path checked to be no namespace and no file after.
    const sandboxRound = async () => {
      const made = [];
      let t0 = performance.now();
      for (let i = 0; i < 5; i++) made.push(await c.newSandbox(`nsb${k++}`));
      times.create.push((performance.now() - t0) / 5);
      const keys = made.map((sb) => sb.key!);
      t0 = performance.now();
      for (const sb of made) await sb.delete();
      times.del.push((performance.now() - t0) / 5);
      for (const key of keys) if (isNamespace(key) || existsSync(key)) gone = false;
      return times.create.at(-1)! + times.del.at(-1)!;
    };
    const floors = { add: [] as number[], del: [] as number[] };
    let f = 0;
    await paired(5, async () => {
      const r = await netnsAddDeleteMs(5, `r${f++}`);
      floors.add.push(r.add);
      floors.del.push(r.del);
      return r.add + r.del;
    }, sandboxRound);
    const [create, del] = [times.create.slice(1), times.del.slice(1)]; // the first round was the warm-up

    execFileSync("ip", ["link", "add", rawBridge, "type", "bridge"]);
    execFileSync("ip", ["addr", "add", "10.213.78.1/24", "dev", rawBridge]);
    execFileSync("ip", ["link", "set", rawBridge, "up"]);
    const net = await c.newNetwork("bridge", "benchbr", { ipam: { config: [{ subnet: "10.213.77.0/24" }] } });
    const sb = await c.newSandbox("bench-bridge");
    const br = await paired(5, () => rawBridgeCycleMs(raw, rawBridge, 5), () => msPerOp(5, () => cycle({ net, sb }, `b${k++}`), 1));
    await sb.delete();
    await net.delete();
    return [
      pairedResult(createTarget, create, floors.add, (v) => v <= 5),
      pairedResult(deleteTarget, del, floors.del, (v) => v <= 5 && gone),
      { ...bridgeTarget, value: br.value, floor: br.floor, ratio: br.ratio, met: br.value <= 16 },
    ];
  } finally {
    await c.gc().catch(() => undefined);
    await c.close();
    raw.close();
    try {
      execFileSync("ip", ["link", "del", rawBridge], { stdio: "ignore" });
    } catch {
      /* not made */
    }
  }
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function pairedResult(t: typeof createTarget, values: number[], floors: number[], met: (v: number) => boolean): BenchResult {
  const value = median(values);
  const ratio = median(values.map((v, i) => v / floors[i]!));
  return { ...t, value, floor: median(floors), ratio, met: met(value) };
}

export const benchmarks: Benchmark[] = [target7];
