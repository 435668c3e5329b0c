import { afterEach, describe, expect, it } from "vitest";
import { Reconciler } from "../../../src/cluster/reconciler.js";
import type { ClusterEvent } from "../../../src/domain/cluster/events.js";
import { emptyClusterState } from "../../../src/domain/cluster/state.js";
import { Controller } from "../../../src/index.js";
import { RecordingDriver } from "../../helpers/recordingDriver.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

/**
 * When a command of the node lets go of an id, on a real controller: the cluster state given holds the
 * network and no endpoint, so a pass that looks at the local endpoint deletes it (as when the cluster reclaimed it),
 * and one that does not leaves it. Whether the endpoint is still there says whether a pass looked.
 */
const open: Controller[] = [];
const reconcilers: Reconciler[] = [];
afterEach(async () => {
  while (reconcilers.length) await reconcilers.pop()!.stop();
  while (open.length) await open.pop()!.close();
});

async function given() {
  const controller = await Controller.open({ db: tempDb(), runDir: tempDir(), actor: "reconciler-test" });
  open.push(controller);
  controller.registerDriver("grec", new RecordingDriver(), { dataScope: "global", sideEffects: true, usesIpam: true });
  const net = (await controller.run({ type: "network.create", driver: "grec", name: "g", ipam: { config: [{ subnet: "10.9.0.0/24" }], options: {} } }, { mirror: true })).entity!.id;
  const ep = (await controller.run({ type: "endpoint.create", network: net, name: "e" }, { mirror: true })).entity!.id;
  const busy = new Set<string>([ep]);
  // The cluster holds the network (so its local copy stays) and no endpoint.
  const cluster = emptyClusterState();
  cluster.networks[net] = { id: net, name: "g", driver: "grec", pool: "p", subnet: "10.9.0.0/24", gateway: "10.9.0.1", labels: {}, endpoints: 0 };
  const problems: (string | null)[] = [];
  const reconciler = new Reconciler({
    controller,
    name: "n1",
    cluster: () => cluster,
    busy,
    mirrorNetwork: async () => undefined,
    release: async () => undefined,
    problem: (t) => problems.push(t),
  });
  reconcilers.push(reconciler);
  await reconciler.run(); // the node's pass at start: it leaves the held endpoint alone
  expect(controller.endpoint(ep)).toBeDefined();
  problems.length = 0; // each pass tells its outcome: from here, one entry per pass
  const event = (type: "global.endpoint.created" | "global.endpoint.deleted"): ClusterEvent =>
    ({ type, seq: 2, id: "b.0", hash: "h", meta: { node: "n1", time: "", batch: "b" }, data: type === "global.endpoint.created" ? { id: ep, name: "e", network: net, node: "n1", address: "10.9.0.2" } : { id: ep } }) as ClusterEvent;
  /** Lets go of the endpoint as a command of the node does, then waits for any pass that asked. */
  const letGo = async (ok: boolean) => {
    busy.delete(ep);
    reconciler.letGo("endpoints", ep, ok);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await reconciler.stop(); // waits for a pass in flight
  };
  const stillHere = () => controller.endpoint(ep) !== undefined;
  return { reconciler, event, letGo, stillHere, problems };
}

describe("Reconciler when a command lets go", () => {
  it("leaves an endpoint alone when the command that held it succeeded and only its own create was folded", async () => {
    const g = await given();
    g.reconciler.folded([g.event("global.endpoint.created")]);
    await g.letGo(true);
    expect(g.stillHere()).toBe(true);
    expect(g.problems).toEqual([]);
  });

  it("looks at an endpoint when the command that held it failed", async () => {
    const g = await given();
    await g.letGo(false);
    expect(g.stillHere()).toBe(false);
    expect(g.problems).toEqual([null]);
  });

  it("looks at an endpoint a delete came for while a command held it", async () => {
    const g = await given();
    g.reconciler.folded([g.event("global.endpoint.deleted")]);
    await g.letGo(true);
    expect(g.stillHere()).toBe(false);
  });
});
