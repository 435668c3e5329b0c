import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { LocalApi } from "../../../src/api/local.js";
import { ReadApi, type ReadQueries } from "../../../src/api/read.js";
import { Controller } from "../../../src/controller/controller.js";
import { tempDir } from "../../helpers/tmp.js";

/**
 * The quick read path (src/api/read.ts) answers what a read-only controller answers: from a snapshot
 * at the head, from a snapshot and the events after it, and from a full replay when the snapshot
 * cannot be used (with the warning a reader gets).
 */
async function writeLog(): Promise<{ db: string; c: Controller }> {
  const dir = tempDir("nlc-read-");
  const db = join(dir, "n.db");
  const c = await Controller.open({ db, runDir: join(dir, "run"), dns: false });
  const n4 = await c.newNetwork("null", "n4", { ipam: { config: [{ subnet: "10.30.0.0/24" }] }, labels: { team: "a" } });
  const n6 = await c.newNetwork("null", "n6", { ipv6: true, ipam: { config: [{ subnet: "10.31.0.0/24" }, { subnet: "fd00:31::/64" }] } });
  const sb = await c.newSandbox("c1", { netns: null });
  const e1 = await n4.createEndpoint("e1", { ports: [{ proto: "tcp", port: 80, hostIp: "", hostPort: 0 }] });
  await e1.join(sb);
  await n6.createEndpoint("e2", { aliases: ["two"] });
  return { db, c };
}

async function answers(api: ReadQueries): Promise<unknown> {
  return {
    networks: await api.networks(),
    network: await api.network("n6"),
    endpoints: await api.endpoints(),
    ofN4: await api.endpoints("n4"),
    endpoint: await api.endpoint("n4", "e1"),
    sandboxes: await api.sandboxes(),
    sandbox: await api.sandbox("c1"),
  };
}

async function controllerAnswers(db: string): Promise<unknown> {
  const api = await LocalApi.open({ db, readonly: true, dns: false });
  try {
    return await answers(api);
  } finally {
    await api.close();
  }
}

async function readAnswers(db: string, onLongReplay?: (n: number) => void, longReplay?: number): Promise<{ answers: unknown; warning: string | undefined }> {
  const api = await ReadApi.open(db, {
    full: () => LocalApi.open({ db, readonly: true, dns: false }),
    ...(onLongReplay ? { onLongReplay } : {}),
    ...(longReplay !== undefined ? { longReplay } : {}),
  });
  try {
    return { answers: await answers(api), warning: api.warning };
  } finally {
    await api.close();
  }
}

describe("the quick read path", () => {
  it("answers from a snapshot at the head what the controller answers", async () => {
    const { db, c } = await writeLog();
    c.snapshot();
    await c.close();
    const r = await readAnswers(db);
    expect(r.warning).toBeUndefined();
    expect(r.answers).toEqual(await controllerAnswers(db));
  });

  it("folds the events written after the latest snapshot", async () => {
    const { db, c } = await writeLog();
    c.snapshot();
    const n = c.networkByName("n4")!;
    await n.createEndpoint("e3");
    await (await n.createEndpoint("e4")).delete();
    await c.close();
    const r = await readAnswers(db);
    expect((r.answers as { endpoints: { name: string }[] }).endpoints.map((e) => e.name)).toEqual(["e1", "e2", "e3"]);
    expect(r.answers).toEqual(await controllerAnswers(db));
  });

  it("replays the whole log, with a warning, when the snapshot was changed after it was written", async () => {
    const { db, c } = await writeLog();
    const { seq } = c.snapshot();
    await c.close();
    const before = await controllerAnswers(db);
    const raw = new Database(db);
    raw.prepare("UPDATE snapshots SET state = replace(state, '\"boot\":null', '\"boot\":\"x\"') WHERE seq = ?").run(seq);
    raw.close();
    const r = await readAnswers(db);
    expect(r.warning).toContain(`snapshot at seq ${seq} does not match its own state hash`);
    expect(r.answers).toEqual(before);
  });

  it("says how many events it replayed when a read had no recent snapshot", async () => {
    const { db, c } = await writeLog();
    const head = c.headOf().seq;
    await c.close();
    const replayed: number[] = [];
    await readAnswers(db, (n) => replayed.push(n), 5);
    expect(replayed).toEqual([head]);
  });

  it("refuses a name the state does not have as the controller does", async () => {
    const { db, c } = await writeLog();
    c.snapshot();
    await c.close();
    const api = await ReadApi.open(db, { full: () => LocalApi.open({ db, readonly: true, dns: false }) });
    try {
      await expect(api.network("nope")).rejects.toMatchObject({ code: "NotFound", message: 'network "nope" not found' });
      await expect(api.sandbox("nope")).rejects.toMatchObject({ code: "NotFound", message: 'sandbox "nope" not found' });
    } finally {
      await api.close();
    }
  });

  it("refuses a file that does not exist, and creates none", async () => {
    const db = join(tempDir("nlc-read-"), "missing.db");
    await expect(ReadApi.open(db, { full: () => LocalApi.open({ db, readonly: true }) })).rejects.toMatchObject({ code: "NotFound" });
  });
});
