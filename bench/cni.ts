import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Controller } from "../src/controller/controller.js";
import { type Benchmark, benchDir, isRoot, paired, result, skipped } from "./harness.js";

/**
 * Root only: an ADD+DEL cycle through netledger-cni (to a daemon, as a runtime on a busy host would
 * use it) beside the same cycle through the reference `bridge` + `host-local` plugins of
 * containernetworking-plugins, in alternating rounds of the same run; and the plugin's start-up
 * (VERSION, which podman sends to every plugin before each command) beside `node -e 0`.
 */
const cycleTarget = { name: "cni", label: "CNI ADD+DEL cycle through netledger-cni (daemon)", unit: "ms/cycle", floorName: "reference bridge + host-local ADD+DEL (ms)", target: "<= 2x the reference plugins" };
const cpuTarget = {
  name: "cniCpu",
  label: "CPU per ADD+DEL cycle through netledger-cni: its two processes and the daemon",
  unit: "ms CPU/cycle",
  floorName: "CPU of the reference plugins' cycle (ms)",
  target: "none (the work done, which waiting on a loaded machine does not inflate as much as the time)",
};
const startTarget = { name: "cniVersion", label: "netledger-cni VERSION (process start to answer)", unit: "ms", floorName: "node -e 0 (ms)", target: "<= 1.5x node -e 0" };

const plugin = fileURLToPath(new URL("../bin/netledger-cni.cjs", import.meta.url));
const cli = fileURLToPath(new URL("../bin/netledger.js", import.meta.url));
const refDir = "/usr/lib/cni";

function call(program: string[], env: Record<string, string>, stdin: string): void {
  const r = spawnSync(program[0]!, program.slice(1), { env: { PATH: process.env["PATH"] ?? "", ...env }, input: stdin, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${program.join(" ")} ${env["CNI_COMMAND"]} failed: ${r.stdout}${r.stderr}`);
}

let containers = 0;

/** n ADD+DEL cycles, each for a new container id as a runtime gives (podman: one per container). */
function cycleMs(program: string[], conf: string, netns: string, n: number, runDir: string): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `nlc-bench-${containers++}`;
    for (const command of ["ADD", "DEL"])
      call(program, { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: "eth0", CNI_PATH: refDir, NETLEDGER_RUN_DIR: runDir }, conf);
  }
  return (performance.now() - t0) / n;
}

/**
 * CPU time (user + system, ms) of this process's waited-for children, plus that of the process `pid`
 * when given (the daemon), from /proc: clock ticks of 10 ms, so it is summed over many cycles.
 */
function cpuMs(pid?: number): number {
  const fields = (p: string) => readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
  const self = fields("self");
  let ticks = Number(self[13]) + Number(self[14]); // cutime, cstime
  if (pid !== undefined) {
    const d = fields(String(pid));
    ticks += Number(d[11]) + Number(d[12]); // utime, stime
  }
  return ticks * 10;
}

function startMs(program: string[], stdin: string, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) call(program, { CNI_COMMAND: "VERSION" }, stdin);
  return (performance.now() - t0) / n;
}

function serve(db: string, socket: string, runDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, "--db", db, "serve", "--socket", socket], { env: { ...process.env, NETLEDGER_RUN_DIR: runDir, NETLEDGER_HOST: "" }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d) => {
      out += d;
      if (out.includes("listening on")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`netledger serve exited ${code}`)));
  });
}

const cni: Benchmark = async () => {
  const version = JSON.stringify({ cniVersion: "1.0.0" });
  const start = await paired(5, () => startMs([process.execPath, "-e", "0"], "", 5), () => startMs([process.execPath, plugin], version, 5));
  const startResult = result({ ...startTarget, value: start.value, floor: start.floor, met: start.ratio <= 1.5 });
  if (!isRoot) return [skipped(cycleTarget, "needs root (namespaces, links): skipped"), skipped(cpuTarget, "needs root: skipped"), startResult];
  if (!existsSync(join(refDir, "bridge")) || !existsSync(join(refDir, "host-local")))
    return [skipped(cycleTarget, "needs containernetworking-plugins in /usr/lib/cni: skipped"), skipped(cpuTarget, "needs the reference plugins: skipped"), startResult];

  const dir = benchDir("nlc-bench-");
  const runDir = join(dir, "run");
  const db = join(dir, "cni.db");
  const tag = Math.random().toString(16).slice(2, 8);
  const c = await Controller.open({ db, runDir });
  await c.newNetwork("bridge", "nlcbench", { ipam: { config: [{ subnet: "10.213.78.0/24" }] }, options: { "com.docker.network.bridge.name": `nlcb${tag}` } });
  await c.close();
  const netns = `nlcb-${tag}`;
  execFileSync("ip", ["netns", "add", netns]);
  mkdirSync(join(dir, "ipam"));
  const socket = join(dir, "d.sock");
  const daemon = await serve(db, socket, runDir);
  const reference = JSON.stringify({
    cniVersion: "1.0.0",
    name: "nlcref",
    type: "bridge",
    bridge: `nlcr${tag}`,
    isGateway: true,
    ipam: { type: "host-local", subnet: "10.213.79.0/24", dataDir: join(dir, "ipam") },
  });
  const ours = JSON.stringify({ cniVersion: "1.0.0", name: "nlcbench", type: "netledger-cni", host: `unix://${socket}` });
  // CPU of the rounds paired() compares (not its warm-up round of ours): per cycle, 3 cycles a round.
  const cpu = { ours: { ms: 0, cycles: 0, warm: false }, reference: { ms: 0, cycles: 0, warm: true } };
  const counted = (key: "ours" | "reference", pid: number | undefined, run: () => number) => () => {
    const c0 = cpuMs(pid);
    const ms = run();
    const k = cpu[key];
    if (k.warm) {
      k.ms += cpuMs(pid) - c0;
      k.cycles += 3;
    }
    k.warm = true;
    return ms;
  };
  try {
    const r = await paired(
      5,
      counted("reference", undefined, () => cycleMs([join(refDir, "bridge")], reference, `/run/netns/${netns}`, 3, runDir)),
      counted("ours", daemon.pid, () => cycleMs([process.execPath, plugin], ours, `/run/netns/${netns}`, 3, runDir)),
    );
    return [
      result({ ...cycleTarget, value: r.value, floor: r.floor, met: r.ratio <= 2 }),
      result({ ...cpuTarget, value: cpu.ours.ms / cpu.ours.cycles, floor: cpu.reference.ms / cpu.reference.cycles, met: null }),
      startResult,
    ];
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((r) => daemon.once("exit", r));
    spawnSync("ip", ["netns", "del", netns]);
    spawnSync("ip", ["link", "del", `nlcr${tag}`]);
    const g = await Controller.open({ db, runDir });
    await g.network("nlcbench")?.delete();
    await g.gc().catch(() => undefined);
    await g.close();
  }
};

export const benchmarks: Benchmark[] = [cni];
