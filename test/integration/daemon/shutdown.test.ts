import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/controller.js";
import { HttpApi } from "../../../src/daemon/client.js";
import { startDaemon, stopDaemon, type TestDaemon } from "../../helpers/daemon.js";
import { tempDir } from "../../helpers/tmp.js";
import { until } from "../../helpers/wait.js";

const fixture = new URL("../../fixtures/slowDriverDaemon.ts", import.meta.url).pathname;
const started: TestDaemon[] = [];
const clients: HttpApi[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of started.splice(0)) await stopDaemon(d);
});

describe("netledger serve on SIGTERM", () => {
  it("stops accepting, finishes the commands in flight with their driver calls, commits them and exits 0", async () => {
    const dir = tempDir();
    const db = join(dir, "n.db");
    const d = await startDaemon(db, { fixture, env: { SLOW_DRIVER_MS: "400" } });
    started.push(d);
    const api = new HttpApi({ host: d.host });
    clients.push(api);
    await api.createNetwork({ name: "n1", driver: "slow" });

    const inFlight = Array.from({ length: 6 }, (_, i) => api.createEndpoint("n1", { name: `e${i}` }));
    const watcher = new HttpApi({ host: d.host });
    clients.push(watcher);
    // Every intent is committed and its call under way (each takes 400 ms) when the signal comes.
    await until(async () => {
      let n = 0;
      for await (const e of watcher.events({ type: "effect.requested" })) n += e.type === "effect.requested" && e.data.op === "createEndpoint" ? 1 : 0;
      return n === 6;
    }, 20);
    const exited = new Promise<number | null>((r) => d.child.once("exit", (code) => r(code)));
    d.child.kill("SIGTERM");
    await until(() => d.stderr().includes("stopping"), 20);

    // A new client is turned away while the old ones are still being served.
    const late = new HttpApi({ host: d.host });
    clients.push(late);
    await expect(late.networks()).rejects.toMatchObject({ code: "Unavailable" });

    const views = await Promise.all(inFlight);
    expect(views.map((v) => [v.name, v.state])).toEqual(Array.from({ length: 6 }, (_, i) => [`e${i}`, "created"]));
    expect(await exited).toBe(0);
    expect(existsSync(d.host.slice("unix://".length))).toBe(false);

    const c = await Controller.open({ db, readonly: true });
    try {
      const state = c.view();
      expect(state.endpoints.map((e) => [e.name, e.state]).sort()).toEqual(views.map((v) => [v.name, "created"]).sort());
      expect(state.effects).toEqual({ pending: [], inDoubt: [] });
      expect(c.verify().ok).toBe(true);
    } finally {
      await c.close();
    }
  });
});
