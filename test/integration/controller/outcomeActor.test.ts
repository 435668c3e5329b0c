import { describe, expect, it } from "vitest";
import { externalDriverName as ext } from "../../helpers/externalDriver.js";
import { rig } from "../../helpers/rig.js";

/**
 * An effect's outcome is recorded under the actor of the command that caused it, not the process's own:
 * a daemon serves many callers, and `log --actor X` must show what X's commands led to (the drivers'
 * outcomes and the continuations they decide), as it does when X runs the library itself.
 */
describe("the actor of an effect's outcome", () => {
  it("is the caller's when the caller names one other than the process's", async () => {
    const r = rig();
    const c = await r.open(); // actor "test"
    await c.newNetwork(ext, "n1", { actor: "cni" });
    await c.run({ type: "endpoint.create", network: "n1", name: "e1" }, { actor: "alice" });
    const events = await r.events();
    const byActor = (actor: string) => events.filter((e) => e.meta.actor === actor).map((e) => e.type);
    expect(byActor("cni")).toEqual(expect.arrayContaining(["network.created", "effect.requested", "effect.succeeded"]));
    expect(byActor("alice")).toEqual(expect.arrayContaining(["endpoint.created", "effect.requested", "effect.succeeded"]));
    expect(byActor("test")).toEqual([]);
  });

  it("stays the process's own for commands sent without an actor", async () => {
    const r = rig();
    const c = await r.open();
    await c.newNetwork(ext, "n1");
    const events = await r.events();
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e) => e.meta.actor === "test")).toBe(true);
  });
});
