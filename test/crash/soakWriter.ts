import Database from "better-sqlite3";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { CommandInput } from "../../src/domain/commands.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import type { StateView } from "../../src/domain/views.js";
import { Controller } from "../../src/index.js";
import { externalDriverName as ext, externalDrivers, ExternalSystem } from "../helpers/externalDriver.js";
import { seededRandom as random } from "../helpers/seeded.js";

/**
 * One writer of the soak (test/crash/soak.test.ts): `node --import tsx test/crash/soakWriter.ts
 * CONFIG.json`. It opens the shared database (recovering what killed writers left), sends again the
 * command its previous incarnation was sending when it was killed (same request id), then sends random
 * commands on its slot's networks, endpoints and sandboxes and on a network all writers share, until
 * it is killed. It prints `starting` before opening and `ready` after.
 *
 * Refusals are expected (a name taken, an entity busy with another writer's call). A driver failure
 * is not: the external driver never fails unless the controller's state and the driver's disagree, so
 * the writer stops with exit status 3 and says why.
 */
export interface SoakConfig {
  db: string;
  external: string;
  runDir: string;
  slot: number;
  seed: number;
  /** Where the writer keeps the command it is sending, for its next incarnation. */
  inFlight: string;
}

interface Sent {
  requestId: string;
  cmd: CommandInput;
}

const refusals = new Set(["Conflict", "NotFound", "IllegalState", "Forbidden", "ActiveEndpoints"]);

function nextCommand(v: StateView, slot: number, rnd: () => number): CommandInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const networks = [`s${slot}n0`, `s${slot}n1`, "shared"];
  const sandboxes = [`s${slot}c0`, `s${slot}c1`];
  const endpoints = [`s${slot}e0`, `s${slot}e1`];
  const force = rnd() < 0.5;
  const own = (name: string) => name !== "shared" || v.networks.find((n) => n.name === "shared")?.endpoints.length === 0;
  switch (pick(["net+", "net+", "net-", "ep+", "ep+", "ep-", "join", "join", "leave", "connect", "connect", "disconnect", "sb+", "sb+", "sb-"])) {
    case "net+":
      return { type: "network.create", name: pick(networks), driver: ext };
    case "net-":
      // The shared network is removed only when empty: forcing it would take other writers' endpoints.
      return { type: "network.delete", network: pick(networks.filter(own)), force: force && rnd() < 0.3 };
    case "ep+":
      return { type: "endpoint.create", network: pick(networks), name: pick(endpoints) };
    case "ep-":
      return { type: "endpoint.delete", network: pick(networks), endpoint: pick(endpoints), force };
    case "join":
      return { type: "endpoint.join", network: pick(networks), endpoint: pick(endpoints), sandbox: pick(sandboxes) };
    case "leave":
      return { type: "endpoint.leave", network: pick(networks), endpoint: pick(endpoints), sandbox: pick(sandboxes) };
    case "connect":
      return { type: "network.connect", network: pick(networks), sandbox: pick(sandboxes) };
    case "disconnect":
      return { type: "network.disconnect", network: pick(networks), sandbox: pick(sandboxes), force };
    case "sb+":
      return { type: "sandbox.create", containerId: pick(sandboxes) };
    default:
      return { type: "sandbox.delete", sandbox: pick(sandboxes), force };
  }
}

async function send(c: Controller, s: Sent): Promise<void> {
  try {
    await c.run(s.cmd, { requestId: s.requestId, actor: "soak" });
  } catch (e) {
    if (isNetledgerError(e) && refusals.has(e.code) && !e.message.startsWith("driver ")) return;
    throw new Error(`${s.cmd.type} (${s.requestId}) failed: ${isNetledgerError(e) ? `${e.code}: ` : ""}${(e as Error).message}`);
  }
}

async function main(configPath: string): Promise<void> {
  const config = JSON.parse(readFileSync(configPath, "utf8")) as SoakConfig;
  const rnd = random(config.seed);
  const system = new ExternalSystem(config.external);
  // A plugin's round trip: a kill lands inside a call more often.
  system.latency = () => Math.floor(rnd() * 3);
  process.stdout.write("starting\n");
  const c = await Controller.open({ db: config.db, runDir: config.runDir, actor: `soak-${config.slot}`, ...externalDrivers(system) });
  process.stdout.write("ready\n");
  let sending: Sent | undefined;
  // Node exits when nothing is left to wait for: a command still waiting then can never complete.
  process.on("beforeExit", () => {
    const v = c.view();
    // What the log says of each open effect: its intent, takeovers and the processes that made them.
    const db = new Database(config.db, { readonly: true });
    const history = [...v.effects.pending, ...v.effects.inDoubt].map((f) =>
      db.prepare("SELECT seq, type, actor, substr(data, 1, 600) AS data FROM events WHERE seq = ? OR causation = ?").all(f.id, f.id),
    );
    db.close();
    process.stderr.write(
      `soak writer ${process.pid}: ${sending?.cmd.type} (${sending?.requestId}) waits for something nothing will do; ` +
        `open effects: ${JSON.stringify(v.effects)}; their history: ${JSON.stringify(history)}\n`,
    );
    process.exit(4);
  });
  if (existsSync(config.inFlight)) await send(c, (sending = JSON.parse(readFileSync(config.inFlight, "utf8")) as Sent));
  for (let k = 0; ; k++) {
    sending = { requestId: `soak-${config.slot}-${config.seed}-${k}`, cmd: nextCommand(c.view(), config.slot, rnd) };
    // Written whole or not at all: a kill may land in the middle of it.
    writeFileSync(`${config.inFlight}.tmp`, JSON.stringify(sending));
    renameSync(`${config.inFlight}.tmp`, config.inFlight);
    await send(c, sending);
  }
}

main(process.argv[2]!).catch((e) => {
  process.stderr.write(`soak writer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(3);
});
