import * as packet from "dns-packet";
import { describe, expect, it } from "vitest";
import { localReply, readQuery, truncatedReply, udpLimit } from "../../../src/dns/wire.js";

const query = (extra: Partial<packet.Packet> = {}) =>
  packet.encode({ type: "query", id: 0x1234, flags: packet.RECURSION_DESIRED, questions: [{ type: "A", name: "web", class: "IN" }], ...extra });
const rcodeOf = (b: Buffer) => b.readUInt16BE(2) & 0xf;

describe("reading a query off the wire", () => {
  it("reads one standard question", () => {
    const q = readQuery(query(), 4096);
    expect(q.kind).toBe("query");
    if (q.kind === "query") expect(q.question).toMatchObject({ name: "web", type: "A" });
  });

  it("drops what has no header and what is a response", () => {
    expect(readQuery(Buffer.from("1234", "hex"), 4096).kind).toBe("drop");
    expect(readQuery(packet.encode({ type: "response", id: 1, questions: [] }), 4096).kind).toBe("drop");
  });

  it("answers FORMERR, with the query's id, to a cut-off, oversized or question-less query", () => {
    for (const bad of [query().subarray(0, 15), Buffer.concat([query(), Buffer.alloc(5000)]), packet.encode({ type: "query", id: 0x1234, questions: [] })]) {
      const r = readQuery(bad, 4096);
      expect(r.kind).toBe("error");
      if (r.kind === "error") {
        expect(r.reply.readUInt16BE(0)).toBe(0x1234);
        expect(rcodeOf(r.reply)).toBe(1);
      }
    }
  });

  it("answers NOTIMP to an opcode other than QUERY", () => {
    const b = query();
    b.writeUInt16BE(b.readUInt16BE(2) | (2 << 11), 2);
    const r = readQuery(b, 4096);
    expect(r.kind === "error" && rcodeOf(r.reply)).toBe(4);
  });
});

describe("writing an answer", () => {
  it("answers A and AAAA records by family, authoritative, with the question and the id", () => {
    const q = readQuery(query(), 4096);
    if (q.kind !== "query") throw new Error("not a query");
    const a = packet.decode(localReply(q, { kind: "answer", addresses: ["10.0.0.2", "fd00::2"] }));
    expect(a).toMatchObject({ id: 0x1234, flag_aa: true, flag_rd: true, questions: [{ name: "web" }] });
    expect(a.answers?.map((x) => [x.type, "data" in x ? x.data : undefined])).toEqual([["A", "10.0.0.2"], ["AAAA", "fd00::2"]]);
  });

  it("sets TC with no answers for a reply over the client's UDP limit", () => {
    const q = readQuery(query(), 4096);
    if (q.kind !== "query") throw new Error("not a query");
    expect(udpLimit(q)).toBe(512);
    const t = packet.decode(truncatedReply(q));
    expect(t.flag_tc).toBe(true);
    expect(t.answers).toEqual([]);
  });
});
