import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { isIPv6 } from "../domain/addresses.js";

/** Answers one query's bytes from a client; undefined drops it. */
export type Answerer = (query: Buffer, client: string, tcp: boolean) => Buffer | undefined | Promise<Buffer | undefined>;

/** Bounds on one listener, so a flood from a sandbox costs a bounded share of the process. */
export interface ListenerLimits {
  /** TCP connections open at once; more are closed at once. */
  maxConnections: number;
  /** A TCP connection idle this long is closed. */
  idleMs: number;
  /** Queries answered on one TCP connection before it is closed (a client reconnects). */
  maxQueriesPerConnection: number;
}

export const defaultListenerLimits: ListenerLimits = { maxConnections: 64, idleMs: 10_000, maxQueriesPerConnection: 1_000 };

/**
 * One network's server: UDP and TCP on its gateway address, port 53 (aardvark-dns's place). Both
 * sockets or neither: if one cannot be bound (the address not yet on the bridge, or another process
 * serving it) the other is closed again and the whole is tried later.
 */
export class Listener {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly conns = new Set<Socket>();

  constructor(
    readonly address: string,
    private readonly port: number,
    private readonly answer: Answerer,
    private readonly limits: ListenerLimits = defaultListenerLimits,
  ) {}

  async open(): Promise<void> {
    const udp = createSocket({ type: isIPv6(this.address) ? "udp6" : "udp4", reuseAddr: false });
    const tcp = createServer((c) => this.connection(c));
    tcp.maxConnections = this.limits.maxConnections;
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind({ address: this.address, port: this.port, exclusive: true }, () => {
          udp.off("error", reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen({ host: this.address, port: this.port, exclusive: true }, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      try {
        udp.close();
      } catch {
        /* not bound */
      }
      tcp.close();
      throw e;
    }
    // An error on a bound socket (an ICMP error for a reply) must not end the process.
    udp.on("error", () => undefined);
    tcp.on("error", () => undefined);
    udp.on("message", (msg, rinfo) => void this.onDatagram(udp, msg, rinfo.address, rinfo.port));
    this.udp = udp;
    this.tcp = tcp;
  }

  private async onDatagram(udp: UdpSocket, msg: Buffer, address: string, port: number): Promise<void> {
    const reply = await this.safely(msg, address, false);
    if (reply && this.udp === udp) udp.send(reply, port, address);
  }

  /** The answer, or nothing when answering threw: one bad query must never end the process. */
  private async safely(msg: Buffer, client: string, tcp: boolean): Promise<Buffer | undefined> {
    try {
      return await this.answer(msg, client, tcp);
    } catch {
      return undefined;
    }
  }

  private connection(c: Socket): void {
    this.conns.add(c);
    c.setTimeout(this.limits.idleMs, () => c.destroy());
    c.on("error", () => c.destroy());
    c.on("close", () => this.conns.delete(c));
    let buf = Buffer.alloc(0);
    let answered = 0;
    let chain = Promise.resolve();
    const client = c.remoteAddress ?? "";
    c.on("data", (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      // Length-prefixed messages (RFC 1035 §4.2.2); a length of 0 or under a header ends the connection.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len < 12) return void c.destroy();
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (++answered > this.limits.maxQueriesPerConnection) return void c.end();
        // Answers go back in order, one at a time, whatever each takes.
        chain = chain.then(async () => {
          const reply = await this.safely(msg, client, true);
          if (!reply || c.destroyed) return;
          const len2 = Buffer.alloc(2);
          len2.writeUInt16BE(reply.length);
          c.write(Buffer.concat([len2, reply]));
        });
      }
    });
  }

  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const c of this.conns) c.destroy();
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}
