import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { isIPv6 } from "../domain/addresses.js";
import { ipText, tryParseIp } from "../domain/ipam/address.js";

/**
 * Forwarding a question the state cannot answer to the upstream servers, as libnetwork's embedded
 * server does (forwardExtDNS): the query's bytes are sent as they came, over the transport they came
 * on, and the first answer is passed back untouched. Each UDP query gets its own socket and so a
 * random source port, and an answer is taken only from the server asked and with the query's id.
 * Servers are tried in order, each for `timeoutMs`; at most `maxInFlight` forwards run at once
 * (libnetwork's maxConcurrent), so a flood of outside names cannot exhaust the process.
 */
export interface ForwardOptions {
  timeoutMs: number;
  maxInFlight: number;
  port: number;
}

export const defaultForwardOptions: ForwardOptions = { timeoutMs: 2_000, maxInFlight: 100, port: 53 };

export class Forwarder {
  private inFlight = 0;

  constructor(private readonly o: ForwardOptions = defaultForwardOptions) {}

  /** Whether another forward may start now; when false the caller answers REFUSED rather than queue. */
  get available(): boolean {
    return this.inFlight < this.o.maxInFlight;
  }

  /** The first upstream answer, or undefined when none answered in time. */
  async forward(query: Buffer, servers: readonly string[], tcp: boolean): Promise<Buffer | undefined> {
    this.inFlight++;
    try {
      for (const server of servers) {
        const answer = await (tcp ? this.overTcp(query, server) : this.overUdp(query, server)).catch(() => undefined);
        if (answer) return answer;
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  private overUdp(query: Buffer, server: string): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = createSocket(isIPv6(server) ? "udp6" : "udp4");
      const id = query.readUInt16BE(0);
      const from = tryParseIp(server);
      const expected = from ? ipText(from) : server;
      let finished = false;
      // Once only: a second datagram read in the same batch, or an error after the answer, finds it done.
      const done = (answer: Buffer | undefined) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        sock.close();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.o.timeoutMs);
      sock.on("error", () => done(undefined));
      sock.on("message", (msg, rinfo) => {
        if (canonical(rinfo.address) === expected && rinfo.port === this.o.port && msg.length >= 12 && msg.readUInt16BE(0) === id) done(msg);
      });
      sock.send(query, this.o.port, server);
    });
  }

  private overTcp(query: Buffer, server: string): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = connect({ host: server, port: this.o.port });
      let got = Buffer.alloc(0);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.o.timeoutMs);
      sock.on("error", () => done(undefined));
      sock.on("close", () => done(undefined));
      sock.on("connect", () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on("data", (chunk) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2, 2 + got.readUInt16BE(0)));
      });
    });
  }
}

const canonical = (address: string): string => {
  const ip = tryParseIp(address);
  return ip ? ipText(ip) : address;
};
