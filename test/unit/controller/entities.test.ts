import { describe, expect, it } from "vitest";
import { EntityDirectory } from "../../../src/controller/entities.js";
import { Store } from "../../../src/store/store.js";
import { fixtureStore } from "../../helpers/fixtureStore.js";
import { buildLargeLog } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";

describe("EntityDirectory", () => {
  it("finds a deleted network by its old name, and both networks that held a reused name", () => {
    const store = fixtureStore();
    const d = new EntityDirectory(store.log);
    const scratch = d.find("scratch");
    expect(scratch.map((e) => [e.kind, e.name, e.createdSeq])).toEqual([
      ["network", "scratch", 14],
      ["network", "scratch", 16],
    ]);
    expect(d.find(scratch[0]!.id)).toEqual([scratch[0]]);
    expect(d.find(scratch[0]!.id.slice(0, 12))).toEqual([scratch[0]]);
  });

  it("finds endpoints by NETWORK/NAME, sandboxes by container id, and only the kinds asked for", () => {
    const store = fixtureStore();
    const d = new EntityDirectory(store.log);
    expect(d.find("backend/db-1").map((e) => [e.kind, e.network?.name, e.name, e.createdSeq])).toEqual([
      ["endpoint", "backend", "db-1", 18],
      ["endpoint", "backend", "db-1", 25],
    ]);
    // "web-1" is a sandbox's container id and an endpoint's name.
    expect(d.find("web-1").map((e) => e.kind)).toEqual(["sandbox", "endpoint"]);
    expect(d.find("web-1", ["sandbox"]).map((e) => e.kind)).toEqual(["sandbox"]);
    expect(d.find("web-1", ["network"])).toEqual([]);
    expect(d.find("no-such-thing")).toEqual([]);
  });

  it("labels streams for people, and names the operation of an effect", () => {
    const store = fixtureStore();
    const d = new EntityDirectory(store.log);
    const [ep] = d.find("frontend/probe");
    expect(d.label(ep!.id)).toBe("endpoint frontend/probe");
    expect(d.label("driver:acme")).toBe("driver acme");
    expect(d.label("a".repeat(64))).toBe("aaaaaaaaaaaa");
    expect(d.label("pool:10.0.0.0/8")).toBe("pool:10.0.0.0/8");
    expect(d.effectOp(4)).toBe("createNetwork");
    expect(d.effectOp(3)).toBeUndefined(); // not an effect.requested
  });

  it("refuses an id prefix that matches more than one entity, naming them", () => {
    const db = tempDb();
    buildLargeLog(db, 16); // ids 000…001 to 000…006
    const store = Store.open(db, { readonly: true });
    try {
      expect(() => new EntityDirectory(store.log).find("000000000000")).toThrow(
        /^id prefix "000000000000" is ambiguous: it matches network net-0 \(000000000000\), sandbox c-0 \(000000000000\), .*; give more characters$/,
      );
    } finally {
      store.close();
    }
  });
});
