import { describe, expect, it } from "vitest";
import { placeOf } from "../../../src/cluster/folding.js";
import { seqKey } from "../../../src/cluster/records.js";

const head = { seq: 5, hash: "a".repeat(64) };
const record = (seq: number, hash: string) => ({ key: Buffer.from(`/netledger/v1/${seqKey(seq)}`), value: Buffer.from(JSON.stringify({ seq, hash })) });

describe("placeOf: where a read from a node's head record places it against etcd's log", () => {
  it("is on the log when the read starts at the head's record with the head's hash", () => {
    expect(placeOf(head, [record(5, head.hash), record(6, "b".repeat(64))])).toBe("on");
  });

  it("is on the log when the head's own record was trimmed but the next is there", () => {
    expect(placeOf(head, [record(6, "b".repeat(64))])).toBe("on");
  });

  it("is on an empty log at seq 0, and trimmed when a log's first records are gone", () => {
    expect(placeOf({ seq: 0, hash: "0".repeat(64) }, [])).toBe("on");
    expect(placeOf({ seq: 0, hash: "0".repeat(64) }, [record(3, "c".repeat(64))])).toBe("trimmed");
  });

  it("says trimmed when the read starts past the record after the head", () => {
    expect(placeOf(head, [record(7, "c".repeat(64))])).toBe("trimmed");
  });

  it("says behind when etcd holds nothing from the head on", () => {
    expect(placeOf(head, [])).toBe("behind");
  });

  it("refuses as Corrupt a record at the head's seq with another chain hash, naming the seq", () => {
    expect(() => placeOf(head, [record(5, "f".repeat(64))])).toThrow(expect.objectContaining({ code: "Corrupt", message: expect.stringContaining("record at seq 5 is not the one this node folded") }));
  });

  it("refuses as Corrupt a record at the head's seq that is not JSON", () => {
    expect(() => placeOf(head, [{ key: Buffer.from(seqKey(5)), value: Buffer.from("{not json") }])).toThrow(expect.objectContaining({ code: "Corrupt", message: expect.stringContaining("seq 5 is not JSON") }));
  });
});
