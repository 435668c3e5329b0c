import * as packet from "dns-packet";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DnsService } from "../../../src/dns/service.js";

const valid = packet.encode({ type: "query", id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: "A", name: "web.example", class: "IN" }] });

/** Whatever arrives: nothing, or one well-formed DNS response carrying the query's id. */
function checkReply(msg: Buffer, reply: Buffer | undefined): void {
  if (reply === undefined) return;
  expect(reply.readUInt16BE(0)).toBe(msg.readUInt16BE(0));
  expect(reply.readUInt16BE(2) & 0x8000).toBe(0x8000);
  expect(() => packet.decode(reply)).not.toThrow();
}

describe("the DNS service reading what clients send (fast-check prints the seed of a failing run)", () => {
  const dns = new DnsService();

  it("never throws on random bytes, over UDP or TCP, and answers with the query's id or not at all", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.boolean(), async (bytes, tcp) => {
        const msg = Buffer.from(bytes);
        checkReply(msg, await dns.answer("10.0.0.1", msg, "10.0.0.2", tcp));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on a valid query with bytes changed, cut short or lengthened", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.integer({ min: 12, max: valid.length + 40 }),
        async (flips, length) => {
          const msg = Buffer.alloc(length);
          valid.copy(msg, 0, 0, Math.min(length, valid.length));
          for (const [at, v] of flips) if (at >= 2 && at < length) msg[at] = v;
          // A response (QR set) is dropped; keep it a query so the reading is exercised.
          msg[2] = msg[2]! & 0x7f;
          checkReply(msg, await dns.answer("10.0.0.1", msg, "10.0.0.2", false));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a question on an address it does not serve", async () => {
    const reply = await dns.answer("10.0.0.1", valid, "10.0.0.2", false);
    expect(reply && reply.readUInt16BE(2) & 0xf).toBe(5);
  });
});
