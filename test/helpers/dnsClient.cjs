// A DNS client run inside a sandbox's namespace (nsenter --net=KEY node dnsClient.cjs MODE ...), for the
// embedded DNS tests and bench/dns.ts. It prints one JSON line. dns-packet is found through NLD_DNS_PACKET.
//   ask  udp|tcp SERVER NAME TYPE        → {rcode, answers:[{type,data}], tc}  or {timeout:true}
//   raw  udp|tcp SERVER HEX              → {rcode} or {timeout:true} (bytes sent as they are)
//   flood SERVER NAME COUNT WINDOW [PORT] → {answered, sent, p50, p99, qps} (UDP, WINDOW in flight)
const dgram = require("node:dgram");
const net = require("node:net");
const packet = require(process.env.NLD_DNS_PACKET || "dns-packet");

const [mode, ...args] = process.argv.slice(2);
// How long an answer is waited for: long for questions that must be answered (a loaded machine is slow),
// short where silence is what the test expects.
const timeoutMs = Number(process.env.NLD_DNS_TIMEOUT_MS || 10000);
const out = (v) => {
  process.stdout.write(JSON.stringify(v) + "\n");
  process.exit(0);
};
const query = (id, name, type) => packet.encode({ type: "query", id, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: "IN" }] });
const summary = (buf) => {
  if (buf.length < 12) return { short: buf.length };
  const rcode = buf.readUInt16BE(2) & 0xf;
  const tc = (buf.readUInt16BE(2) & 0x200) !== 0;
  try {
    const p = packet.decode(buf);
    return { rcode, tc, id: p.id, answers: (p.answers || []).map((a) => ({ type: a.type, data: a.data })) };
  } catch {
    return { rcode, tc, undecodable: true };
  }
};

function udp(server, bytes) {
  const s = dgram.createSocket(server.includes(":") ? "udp6" : "udp4");
  const t = setTimeout(() => out({ timeout: true }), timeoutMs);
  s.on("message", (m) => {
    clearTimeout(t);
    out(summary(m));
  });
  s.send(bytes, 53, server);
}

function tcp(server, bytes, framed) {
  const c = net.connect({ host: server, port: 53 });
  const t = setTimeout(() => out({ timeout: true }), timeoutMs);
  let got = Buffer.alloc(0);
  c.on("connect", () => {
    if (framed) c.write(bytes);
    else {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(bytes.length);
      c.write(Buffer.concat([len, bytes]));
    }
  });
  c.on("data", (d) => {
    got = Buffer.concat([got, d]);
    if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
      clearTimeout(t);
      out(summary(got.subarray(2, 2 + got.readUInt16BE(0))));
    }
  });
  c.on("close", () => {
    clearTimeout(t);
    out({ closed: true });
  });
  c.on("error", (e) => out({ error: e.code || e.message }));
}

function flood(server, name, count, window, port) {
  const s = dgram.createSocket(server.includes(":") ? "udp6" : "udp4");
  const sentAt = new Map();
  const lat = [];
  let sent = 0;
  let answered = 0;
  let nextId = 0;
  const t0 = process.hrtime.bigint();
  const finish = () => {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.sort((a, b) => a - b);
    const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] : null);
    out({ sent, answered, p50: pct(0.5), p99: pct(0.99), qps: answered / secs });
  };
  let idle = setTimeout(finish, timeoutMs);
  const send = () => {
    if (sent >= count) return;
    const id = nextId++ & 0xffff;
    sentAt.set(id, process.hrtime.bigint());
    sent++;
    s.send(query(id, name, "A"), port, server);
  };
  s.on("message", (m) => {
    const id = m.readUInt16BE(0);
    const at = sentAt.get(id);
    if (at === undefined) return;
    sentAt.delete(id);
    lat.push(Number(process.hrtime.bigint() - at) / 1e6);
    answered++;
    clearTimeout(idle);
    if (answered === count) return finish();
    idle = setTimeout(finish, timeoutMs);
    send();
  });
  for (let i = 0; i < window; i++) send();
}

if (mode === "ask") {
  const [proto, server, name, type] = args;
  const q = query(0x4e4c, name, type);
  proto === "tcp" ? tcp(server, q, false) : udp(server, q);
} else if (mode === "raw") {
  const [proto, server, hex] = args;
  const bytes = Buffer.from(hex, "hex");
  proto === "tcp" ? tcp(server, bytes, true) : udp(server, bytes);
} else if (mode === "flood") {
  const [server, name, count, window, port] = args;
  flood(server, name, Number(count), Number(window), Number(port || 53));
} else {
  process.stderr.write("usage: dnsClient.cjs ask|raw|flood ...\n");
  process.exit(2);
}
