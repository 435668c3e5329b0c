import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/index.js";
import { Ledger } from "../../../src/controller/ledger.js";
import { cli } from "../../helpers/cli.js";
import { RecordingDriver } from "../../helpers/recordingDriver.js";
import { tempDb, tempDir } from "../../helpers/tmp.js";

describe("the history of an endpoint on a network with IPAM", () => {
  it("is found by its creation event, though an address request comes first in its stream", async () => {
    const db = tempDb();
    const c = await Controller.open({ db, runDir: tempDir(), actor: "history-test" });
    c.registerDriver("rec", new RecordingDriver(), { dataScope: "local", sideEffects: true, usesIpam: true });
    const net = await c.newNetwork("rec", "front", { ipam: { config: [{ subnet: "10.91.0.0/24" }] } });
    const ep = await net.createEndpoint("web");
    const epId = ep.id;
    await c.close();

    const ledger = Ledger.open(db);
    try {
      // The premise: the endpoint's stream does not begin with endpoint.created.
      expect(ledger.log.firstOf(epId)?.type).not.toBe("endpoint.created");
      expect(ledger.entities.find("front/web").map((e) => [e.kind, e.id])).toEqual([["endpoint", epId]]);
    } finally {
      ledger.close();
    }
    const r = await cli(["--db", db, "--json", "inspect", "--history", "front/web"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { kind: string; events: { type: string }[] }[];
    expect(out[0]!.kind).toBe("endpoint");
    expect(out[0]!.events.map((e) => e.type)).toContain("endpoint.created");
    const plain = await cli(["--db", db, "--json", "inspect", "front/web"]);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject([{ kind: "endpoint", id: epId, name: "web" }]);
  });
});
