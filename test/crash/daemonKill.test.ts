import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpApi } from "../../src/daemon/client.js";
import { isNetledgerError } from "../../src/domain/errors.js";
import { startDaemon, stopDaemon, type TestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { until } from "../helpers/wait.js";

const fixture = new URL("../fixtures/slowDriverDaemon.ts", import.meta.url).pathname;
const started: TestDaemon[] = [];
const clients: HttpApi[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of started.splice(0)) await stopDaemon(d);
});

interface Acked {
  created: Map<string, string>; // endpoint id → name
  /** Deletes sent: acknowledged or not, any of them may have happened. */
  deleting: Set<string>;
  deleted: Set<string>;
}

/**
 * One client sending commands back to back until the daemon goes away: it creates endpoints on a
 * network whose driver has side effects, and deletes every other one right after. What it records is
 * only what the daemon acknowledged.
 */
async function client(api: HttpApi, n: number, acked: Acked): Promise<void> {
  for (let k = 0; ; k++) {
    try {
      const e = await api.createEndpoint("n1", { name: `c${n}-${k}` }, { requestId: `c${n}-${k}` });
      acked.created.set(e.id, e.name);
      if (k % 2 === 1) {
        acked.deleting.add(e.id);
        await api.deleteEndpoint("n1", e.id, false, { requestId: `c${n}-${k}-rm` });
        acked.deleted.add(e.id);
      }
    } catch (e) {
      if (isNetledgerError(e) && e.code === "Unavailable") return; // the daemon is gone
      throw e;
    }
  }
}

describe("a daemon killed with SIGKILL in the middle of a stream of commands", () => {
  it("on restart has every acknowledged command in its log, and recovery leaves no effect in doubt", async () => {
    const dir = tempDir();
    const db = join(dir, "n.db");
    const calls = join(dir, "calls.log");
    const env = { SLOW_DRIVER_MS: "15", SLOW_DRIVER_CALLS: calls };
    const first = await startDaemon(db, { fixture, env });
    started.push(first);
    const setup = new HttpApi({ host: first.host });
    clients.push(setup);
    await setup.createNetwork({ name: "n1", driver: "slow" });

    const acked: Acked = { created: new Map(), deleting: new Set(), deleted: new Set() };
    const apis = Array.from({ length: 4 }, () => new HttpApi({ host: first.host }));
    clients.push(...apis);
    const running = apis.map((api, i) => client(api, i, acked));
    // Kill it once the stream is well under way: commands committed, calls in flight, answers on the wire.
    // (A call seen in flight an instant before the kill is still in flight at it: each takes 15 ms.)
    await until(async () => acked.created.size >= 40 && (await setup.state()).effects.pending.length > 0, 20);
    first.child.kill("SIGKILL");
    await Promise.all(running);
    await new Promise((r) => first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once("exit", r));

    const second = await startDaemon(db, { fixture, env, socket: first.host.slice("unix://".length) });
    started.push(second);
    const api = new HttpApi({ host: second.host });
    clients.push(api);
    await api.recover();
    // Opening resumed the killed daemon's open effects; wait for their outcomes to be recorded.
    await until(async () => {
      const s = await api.state();
      return s.effects.pending.length === 0 && s.effects.inDoubt.length === 0;
    }, 20);

    const created = new Set<string>();
    const deleted = new Set<string>();
    for await (const e of api.events({ type: "endpoint" })) {
      if (e.type === "endpoint.created") created.add(e.data.id);
      if (e.type === "endpoint.deleted") deleted.add(e.data.id);
    }
    for (const id of acked.created.keys()) expect(created.has(id), `acknowledged create of ${acked.created.get(id)}`).toBe(true);
    for (const id of acked.deleted) expect(deleted.has(id), `acknowledged delete of ${acked.created.get(id)}`).toBe(true);

    const state = await api.state();
    expect(state.effects).toEqual({ pending: [], inDoubt: [] });
    const live = new Map(state.endpoints.map((e) => [e.id, e]));
    for (const [id, name] of acked.created) {
      if (acked.deleted.has(id)) expect(live.has(id), `${name} was deleted`).toBe(false);
      else if (!acked.deleting.has(id)) expect(live.get(id)?.state, name).toBe("created");
      else expect([undefined, "created"], `${name}, whose delete was not answered`).toContain(live.get(id)?.state);
    }
    // The driver's side agrees: the last call for each endpoint that exists was its create, and for each that is gone a delete.
    const last = new Map<string, string>();
    for (const line of readFileSync(calls, "utf8").trim().split("\n")) {
      const [op, resource] = line.split(" ");
      last.set(resource!, op!);
    }
    for (const e of state.endpoints) expect(last.get(e.id), e.name).toBe("createEndpoint");
    for (const id of deleted) expect(last.get(id)).toBe("deleteEndpoint");
    expect(await api.verify()).toMatchObject({ ok: true });
    // Usually the kill leaves calls in flight, which the restart takes over as in doubt; with the faster
    // kernel path a kill can land between calls (seen once in CI). The checks above hold either way.
    let retried = 0;
    for await (const _ of api.events({ type: "effect.attempted" })) retried++;
    if (retried === 0) console.log("daemonKill: the kill landed between driver calls; recovery had nothing to take over this time");
  });
});
