import { describe, expect, it } from "vitest";
import { parseExpectedHead, verifyStore } from "../../../src/controller/verify.js";
import { genesisHash } from "../../../src/store/hashChain.js";
import { Store } from "../../../src/store/store.js";
import { appendSteps, opsLogPath, readSteps } from "../../helpers/logBuilder.js";
import { tempDb } from "../../helpers/tmp.js";

describe("verifyStore with an expected head", () => {
  it("finds the head of an empty log in every chain", () => {
    const store = Store.open(tempDb());
    try {
      expect(verifyStore(store, { expectHead: `0:${genesisHash}` })).toMatchObject({ ok: true, problems: [] });
      appendSteps(store, readSteps(opsLogPath).slice(0, 3));
      expect(verifyStore(store, { expectHead: `0:${genesisHash}` })).toMatchObject({ ok: true, events: 4 });
    } finally {
      store.close();
    }
  });

  it("names what is wrong with a head it cannot read", () => {
    expect(() => parseExpectedHead("26:xyz")).toThrow('invalid head "26:xyz": expected a 64-hex hash, or SEQ:HASH as "netledger head" prints');
  });
});
