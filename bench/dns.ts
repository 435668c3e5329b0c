import { join } from "node:path";
import { Controller } from "../src/controller/controller.js";
import { client } from "../test/helpers/dnsAsk.js";
import { type FixedResolver, fixedResolver } from "../test/helpers/fixedResolver.js";
import { cycle } from "./cycle.js";
import { type Benchmark, benchDir, isRoot, msPerOp, result, skipped } from "./harness.js";

/**
 * Root only: the embedded DNS server answering a sandbox's name to another sandbox on its bridge
 * network, asked from inside the namespace (UDP, 64 questions in flight), against the same questions
 * to a minimal resolver answering from a fixed table on the same gateway address (another port), in
 * the same process: the floor is the path (veth, bridge, socket, event loop) without netledger's
 * records. A third figure is a bridge endpoint cycle while a flood is being answered, beside the same
 * cycle alone: a flood must not slow commands.
 */
interface Flood {
  sent: number;
  answered: number;
  p50: number | null;
  p99: number | null;
  qps: number;
}

const qpsTarget = { name: "dns", label: "embedded DNS, queries answered per second from inside a sandbox", unit: "queries/s", floorName: "fixed-table resolver on the gateway (queries/s)", target: ">= 50% of the floor" };
const p99Target = { name: "dnsb", label: "embedded DNS, p99 latency from inside a sandbox", unit: "ms", floorName: "fixed-table resolver on the gateway, p99 (ms)", target: "<= 3x the floor" };
const floodTarget = { name: "dnsc", label: "bridge endpoint cycle while a sandbox floods the DNS server", unit: "ms/cycle", floorName: "the same cycle with no flood (ms)", target: "<= 2x the floor" };

const count = 10_000;
const best = (a: Flood[], pick: (f: Flood) => number) => Math.max(...a.map(pick));
const least = (a: Flood[], pick: (f: Flood) => number) => Math.min(...a.map(pick));

const dns: Benchmark = async () => {
  if (!isRoot) return [skipped(qpsTarget, "needs root (namespaces, port 53): skipped"), skipped(p99Target, "needs root: skipped"), skipped(floodTarget, "needs root: skipped")];
  const dir = benchDir();
  const c = await Controller.open({ db: join(dir, "dns.db"), runDir: join(dir, "run") });
  let floorSrv: FixedResolver | undefined;
  try {
    const net = await c.newNetwork("bridge", "nldbench", { ipam: { config: [{ subnet: "10.213.78.0/24" }] } });
    const asker = await c.newSandbox("nld-asker");
    await c.run({ type: "network.connect", network: "nldbench", sandbox: "nld-asker" });
    const target = await c.newSandbox("nld-target", { hostname: "target" });
    await c.run({ type: "network.connect", network: "nldbench", sandbox: "nld-target" });
    // On the gateway address, which exists once the network's bridge does.
    floorSrv = await fixedResolver("10.213.78.1", new Map([["target", "10.213.78.3"]]), 5353);
    const ns = asker.key!;
    const ours: Flood[] = [];
    const floor: Flood[] = [];
    for (let round = 0; round < 3; round++) {
      floor.push(await client<Flood>(ns, ["flood", "10.213.78.1", "target", String(count), "64", "5353"]));
      ours.push(await client<Flood>(ns, ["flood", "10.213.78.1", "target", String(count), "64"]));
    }
    if (ours.some((f) => f.answered !== count)) throw new Error(`the embedded DNS server left questions unanswered: ${JSON.stringify(ours)}`);
    const cycleSb = await c.newSandbox("nld-cycle");
    let k = 0;
    const alone = await msPerOp(5, () => cycle({ net, sb: cycleSb }, `a${k++}`), 2);
    const flooding = client<Flood>(ns, ["flood", "10.213.78.1", "target", String(count * 5), "64"]);
    const during = await msPerOp(5, () => cycle({ net, sb: cycleSb }, `f${k++}`), 2);
    await flooding;
    await cycleSb.delete();
    await c.run({ type: "network.disconnect", network: "nldbench", sandbox: "nld-asker" });
    await c.run({ type: "network.disconnect", network: "nldbench", sandbox: "nld-target" });
    await asker.delete();
    await target.delete();
    await floorSrv.close();
    floorSrv = undefined;
    await net.delete();
    const qps = best(ours, (f) => f.qps);
    const qpsFloor = best(floor, (f) => f.qps);
    const p99 = least(ours, (f) => f.p99 ?? Infinity);
    const p99Floor = least(floor, (f) => f.p99 ?? Infinity);
    return [
      result({ ...qpsTarget, value: qps, floor: qpsFloor, met: qps >= 0.5 * qpsFloor }),
      result({ ...p99Target, value: p99, floor: p99Floor, met: p99 <= 3 * p99Floor }),
      result({ ...floodTarget, value: during, floor: alone, met: during <= 2 * alone }),
    ];
  } finally {
    await floorSrv?.close().catch(() => undefined);
    await c.gc().catch(() => undefined);
    await c.close();
  }
};

export const benchmarks: Benchmark[] = [dns];
