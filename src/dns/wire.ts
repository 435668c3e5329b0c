import * as packet from "dns-packet";
import { isIPv4 } from "../domain/addresses.js";
import type { DnsDecision } from "../domain/dnsRecords.js";

/**
 * The DNS wire format through dns-packet: reading a question, writing an answer. What the server
 * refuses to read is classified here: too short to carry an id (dropped: there is no one to answer),
 * a response rather than a query (dropped, so two servers never answer each other), or anything that
 * does not decode as one standard query of one question (FORMERR, as RFC 1035 §4.1.1 says).
 */

/** Seconds a record may be cached, as libnetwork's embedded server gives (respTTL). */
export const recordTtl = 600;

const rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof rcode;

export type ReadQuery =
  | { kind: "drop" }
  | { kind: "error"; reply: Buffer }
  | { kind: "query"; id: number; flags: number; question: packet.Question; decoded: packet.DecodedPacket };

const qrBit = 0x8000;
const opcodeBits = 0x7800;

/** A header-only reply to the query whose first 12 bytes are `head`: its id, opcode and RD kept. */
export function headerReply(head: Buffer, code: Rcode): Buffer {
  const flags = head.readUInt16BE(2);
  return packet.encode({ type: "response", id: head.readUInt16BE(0), flags: (flags & (opcodeBits | packet.RECURSION_DESIRED)) | packet.RECURSION_AVAILABLE | rcode[code] });
}

export function readQuery(msg: Buffer, maxBytes: number): ReadQuery {
  if (msg.length < 12) return { kind: "drop" };
  const flags = msg.readUInt16BE(2);
  if (flags & qrBit) return { kind: "drop" };
  if (msg.length > maxBytes) return { kind: "error", reply: headerReply(msg, "FORMERR") };
  if (flags & opcodeBits) return { kind: "error", reply: headerReply(msg, "NOTIMP") };
  let decoded: packet.DecodedPacket;
  try {
    decoded = packet.decode(msg);
  } catch {
    return { kind: "error", reply: headerReply(msg, "FORMERR") };
  }
  const question = decoded.questions?.[0];
  if (decoded.questions?.length !== 1 || !question || (decoded.answers?.length ?? 0) > 0)
    return { kind: "error", reply: headerReply(msg, "FORMERR") };
  return { kind: "query", id: decoded.id ?? 0, flags, question, decoded };
}

/** The EDNS OPT record of the query, echoed (without options) so a client that sent one sees one back. */
function ednsOf(q: packet.DecodedPacket): packet.Answer[] {
  const opt = q.additionals?.find((a) => a.type === "OPT");
  return opt ? [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
}

/** The answer to a question decided from the state (anything but a forward). */
export function localReply(q: Extract<ReadQuery, { kind: "query" }>, d: Exclude<DnsDecision, { kind: "forward" }>): Buffer {
  const base = { type: "response" as const, id: q.id, questions: [q.question], additionals: ednsOf(q.decoded) };
  const flags = (q.flags & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE;
  const name = q.question.name;
  switch (d.kind) {
    case "refuse":
      return packet.encode({ ...base, flags: flags | rcode.REFUSED });
    case "nodata":
      return packet.encode({ ...base, flags: flags | packet.AUTHORITATIVE_ANSWER });
    case "ptr":
      return packet.encode({ ...base, flags: flags | packet.AUTHORITATIVE_ANSWER, answers: [{ type: "PTR", class: "IN", name, ttl: recordTtl, data: d.name }] });
    case "answer":
      return packet.encode({
        ...base,
        flags: flags | packet.AUTHORITATIVE_ANSWER,
        answers: d.addresses.map((a) => ({ type: isIPv4(a) ? ("A" as const) : ("AAAA" as const), class: "IN" as const, name, ttl: recordTtl, data: a })),
      });
  }
}

/** A reply with only a response code (SERVFAIL when no upstream answered, REFUSED under load). */
export function codeReply(q: Extract<ReadQuery, { kind: "query" }>, code: Rcode): Buffer {
  return packet.encode({ type: "response", id: q.id, questions: [q.question], flags: (q.flags & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE | rcode[code] });
}

/** What a UDP reply may weigh: 512 bytes, or what the client's EDNS record offers (RFC 6891), at most 1232. */
export function udpLimit(q: Extract<ReadQuery, { kind: "query" }>): number {
  const opt = q.decoded.additionals?.find((a): a is packet.OptAnswer => a.type === "OPT");
  return opt ? Math.max(512, Math.min(opt.udpPayloadSize, 1232)) : 512;
}

/** The question alone with TC set: the client asks again over TCP (RFC 1035 §4.2.1). */
export function truncatedReply(q: Extract<ReadQuery, { kind: "query" }>): Buffer {
  const flags = (q.flags & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE | packet.AUTHORITATIVE_ANSWER | packet.TRUNCATED_RESPONSE;
  return packet.encode({ type: "response", id: q.id, questions: [q.question], flags });
}
