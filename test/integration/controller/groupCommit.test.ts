import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

describe("group commit", () => {
  it("commits commands that arrive together in one transaction, each decided on the state the previous left", async () => {
    const c = await Controller.open({ db: tempDb(), runDir: tempDir() });
    try {
      const n = await c.newNetwork("null", "n1");
      const before = c.stats();
      // 64 creations in flight at once, two of them with the same name: one of those two must lose.
      const names = Array.from({ length: 63 }, (_, i) => `e${i}`).concat("e0");
      const results = await Promise.allSettled(names.map((name) => n.createEndpoint(name)));
      const after = c.stats();
      expect(after.commands - before.commands).toBe(64);
      expect(after.commits - before.commits).toBe(1);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(63);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: "Conflict", message: "endpoint with name e0 already exists in network n1" });
      expect(n.endpoints()).toHaveLength(63);
      expect(c.verify().ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("runs one caller's awaited steps in one commit each", async () => {
    const c = await Controller.open({ db: tempDb(), runDir: tempDir() });
    try {
      const n = await c.newNetwork("null", "n1");
      const sb = await c.newSandbox("c1", { netns: null });
      const before = c.stats().commits;
      const ep = await n.createEndpoint("e1");
      await ep.join(sb);
      await ep.leave(sb);
      await ep.delete();
      // The null driver has no side effects: each step is one durable commit, no effect intents.
      expect(c.stats().commits - before).toBe(4);
    } finally {
      await c.close();
    }
  });
});
