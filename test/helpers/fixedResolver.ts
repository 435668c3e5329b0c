import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import * as packet from "dns-packet";

/**
 * A minimal DNS server answering A questions from a fixed table, NXDOMAIN otherwise, over UDP and TCP:
 * the stand-in for the host's upstream resolver in the embedded DNS tests, and the floor of bench/dns.ts.
 * It counts what it was asked, so a test can tell a forwarded question from one answered locally.
 */
export interface FixedResolver {
  asked: string[];
  close(): Promise<void>;
}

function reply(msg: Buffer, table: ReadonlyMap<string, string>, asked: string[]): Buffer | undefined {
  let q: packet.DecodedPacket;
  try {
    q = packet.decode(msg);
  } catch {
    return undefined;
  }
  const question = q.questions?.[0];
  if (!question) return undefined;
  asked.push(question.name);
  const a = question.type === "A" ? table.get(question.name.toLowerCase()) : undefined;
  const known = table.has(question.name.toLowerCase());
  return packet.encode({
    type: "response",
    id: q.id ?? 0,
    flags: packet.RECURSION_AVAILABLE | (known ? 0 : 3),
    questions: [question],
    answers: a ? [{ type: "A", class: "IN", name: question.name, ttl: 60, data: a }] : [],
  });
}

export async function fixedResolver(address: string, table: ReadonlyMap<string, string>, port = 53): Promise<FixedResolver> {
  const asked: string[] = [];
  const udp = createSocket(address.includes(":") ? "udp6" : "udp4");
  udp.on("message", (m, r) => {
    const out = reply(m, table, asked);
    if (out) udp.send(out, r.port, r.address);
  });
  await new Promise<void>((res, rej) => {
    udp.once("error", rej);
    udp.bind(port, address, () => res());
  });
  const tcp = createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on("error", () => c.destroy());
    c.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const out = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), table, asked);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (!out) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        c.write(Buffer.concat([len, out]));
      }
    });
  });
  await new Promise<void>((res, rej) => {
    tcp.once("error", rej);
    tcp.listen(port, address, () => res());
  });
  return {
    asked,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
