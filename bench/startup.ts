import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Store } from "../src/store/store.js";
import { loadedModules } from "../test/helpers/loadedModules.js";
import { openRig } from "./cycle.js";
import { type Benchmark, paired, progress, result } from "./harness.js";
import { appendCycles } from "./open.js";

/**
 * CLI start-up (issue 15): `netledger --version`, and `netledger network ls` on a 10,000-event
 * database, each beside `node -e 0` (the floor: starting Node and doing nothing), in alternating runs
 * of the built CLI (`npm run bench` builds first); medians of the runs. The machine is shared, so the
 * count of modules each command loads goes in the note as a figure that does not move with the load.
 */
const events = 10_000;
const rounds = 9;
const cli = fileURLToPath(new URL("../bin/netledger.js", import.meta.url));

/** ms for one run of node with these arguments, which must succeed. */
function runMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NETLEDGER_HOST: "" } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** A database of `events` events: null-driver endpoint cycles, snapshotted as a writer would have. */
async function tenThousandEvents(): Promise<string> {
  const rig = await openRig("startup");
  const db = rig.c.path;
  const [network, sandbox] = [rig.net.id, rig.sb.id];
  await rig.c.close();
  const store = Store.open(db);
  try {
    appendCycles(store, 0, Math.ceil((events - store.log.head().seq) / 4), network, sandbox);
  } finally {
    store.close();
  }
  // A log written through the CLI or the library carries snapshots as it grows; this one was written raw.
  runMs([cli, "--db", db, "snapshot"]);
  return db;
}

const startup: Benchmark = async () => {
  progress("startup: a 10,000-event database");
  const db = await tenThousandEvents();
  const floor = () => runMs(["-e", "0"]);
  const count = (args: string[]) => loadedModules(args, { NETLEDGER_HOST: "" }).modules.length;
  const modules = `modules loaded: --version ${count(["--version"])}, --help ${count(["--help"])}, network ls ${count(["--db", db, "network", "ls"])}`;
  progress("startup: --version");
  const v = await paired(rounds, floor, () => runMs([cli, "--version"]));
  progress("startup: network ls");
  const ls = await paired(rounds, floor, () => runMs([cli, "--db", db, "network", "ls"]));
  return [
    {
      ...result({ name: "cli-version", label: "netledger --version", value: v.value, unit: "ms", floor: v.floor, floorName: "node -e 0", target: "≤ 1.5× node -e 0", met: v.ratio <= 1.5 }),
      ratio: v.ratio,
      note: `median of ${rounds} alternating runs; ${modules}`,
    },
    {
      ...result({ name: "cli-ls", label: `netledger network ls, ${events.toLocaleString("en-US")} events`, value: ls.value, unit: "ms", floor: ls.floor, floorName: "node -e 0", target: "≤ 2× node -e 0", met: ls.ratio <= 2 }),
      ratio: ls.ratio,
      note: `median of ${rounds} alternating runs`,
    },
  ];
};

export const benchmarks: Benchmark[] = [startup];
