import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

const open: Controller[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe("sandbox create --netns", () => {
  it("refuses a path that is not a network namespace before anything is written, and the container id stays free", async () => {
    const c = await Controller.open({ db: tempDb(), runDir: tempDir(), actor: "netns-test" });
    open.push(c);
    const head = c.headOf().seq;
    await expect(c.newSandbox("x", { netns: "/nonexistent/ns" })).rejects.toMatchObject({
      code: "InvalidParameter",
      message: '--netns "/nonexistent/ns": no such file; give the path of a network namespace, as /run/netns/NAME or /proc/PID/ns/net',
    });
    const file = join(tempDir(), "plain");
    writeFileSync(file, "");
    await expect(c.newSandbox("x", { netns: file })).rejects.toMatchObject({ code: "InvalidParameter", message: expect.stringContaining("is not a namespace file") });
    expect(c.headOf().seq).toBe(head);
    expect(c.sandbox("x")).toBeUndefined();
    // The host's namespace by null still works, and takes the name.
    await c.newSandbox("x", { netns: null });
    expect(c.sandbox("x")).toBeDefined();
  });
});
