import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

describe("libnetwork's README flow through the library", () => {
  it("runs open → configureNetworkDriver → newNetwork → createEndpoint → newSandbox → join → driverInfo → leave → delete", async () => {
    const db = tempDb();
    const controller = await Controller.open({ db, runDir: tempDir(), actor: "flow-test" });
    try {
      await controller.configureNetworkDriver("null", { "com.example.option": "on" });
      expect(controller.current().drivers["null"]).toEqual({ options: { "com.example.option": "on" } });

      const network = await controller.newNetwork("null", "network1", { labels: { team: "net" } });
      expect(network.id).toMatch(/^[0-9a-f]{64}$/);
      expect(network.view()).toMatchObject({ name: "network1", driver: "null", scope: "local", state: "active", endpoints: [] });
      expect(controller.networkByName("network1")?.id).toBe(network.id);
      expect(controller.networkById(network.id.slice(0, 12))?.id).toBe(network.id);

      const ep = await network.createEndpoint("Endpoint1");
      expect(ep.view()).toMatchObject({ name: "Endpoint1", network: network.id, sandbox: null, state: "created" });
      expect(network.view().endpoints).toEqual([ep.id]);
      expect(network.endpointByName("Endpoint1")?.id).toBe(ep.id);

      const sbx = await controller.newSandbox("container1", { hostname: "test", domainname: "example.org", netns: null });
      expect(sbx.view()).toMatchObject({ containerId: "container1", key: null, hostname: "test", domainname: "example.org", state: "ready" });

      await ep.join(sbx);
      expect(ep.view()).toMatchObject({ sandbox: sbx.id, state: "joined" });
      expect(sbx.view().endpoints).toEqual([ep.id]);

      // The null driver has no operational data, like libnetwork's.
      expect(await ep.driverInfo()).toEqual({});

      await ep.leave(sbx);
      expect(ep.view()).toMatchObject({ sandbox: null, state: "created" });
      expect(sbx.view().endpoints).toEqual([]);

      await ep.delete();
      expect(network.endpoints()).toEqual([]);
      await sbx.delete();
      expect(controller.sandboxes()).toEqual([]);
      await network.delete();
      expect(controller.networks()).toEqual([]);

      const types: string[] = [];
      for await (const e of controller.events()) {
        types.push(e.type);
        expect(e.meta.actor).toBe("flow-test");
      }
      expect(types).toEqual([
        "driver.configured",
        "network.created",
        "endpoint.created",
        "sandbox.created",
        "endpoint.joined",
        "endpoint.left",
        "endpoint.deleted",
        "sandbox.deleted",
        "network.deleted",
      ]);
      expect(controller.verify()).toMatchObject({ ok: true, events: 9, problems: [] });

      // stateAt: the state as of the join, rebuilt from the log.
      const atJoin = controller.stateAt(5);
      expect(atJoin.endpoints).toHaveLength(1);
      expect(atJoin.endpoints[0]).toMatchObject({ id: ep.id, sandbox: sbx.id, state: "joined" });

      const snap = controller.snapshot();
      expect(snap.seq).toBe(9);
    } finally {
      await controller.close();
    }
  });
});
