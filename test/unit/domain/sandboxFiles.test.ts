import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";
import { hostsFile, PeerIndex } from "../../../src/domain/etchosts.js";
import { sandboxesToRewrite, touched } from "../../../src/domain/projection.js";
import { resolvConf } from "../../../src/domain/resolvconf.js";
import type { NewEvent } from "../../../src/domain/events.js";
import { endpoint, hex, joined, network, sandbox, stateOf } from "../../helpers/state.js";

const [n1, n2] = [hex("1"), hex("2")];
const [e1, e2, e3, e4] = [hex("a"), hex("b"), hex("c"), hex("d")];
const [s1, s2, s3, s4] = [hex("5"), hex("6"), hex("7"), hex("9")];
const e6 = hex("f");

/** web (s1) and db (s2) on n1 (IPv6), db also on n2; cache (s3, the host's namespace) and worker (s4) on n2 only. */
const events: NewEvent[] = [
  network(n1, "front", { ipv6: true }),
  network(n2, "back"),
  endpoint(e1, n1, "web", { ipv4: "10.1.0.2/24", ipv6: "fd00:1::2/64", aliases: ["www"] }),
  endpoint(e2, n1, "db", { ipv4: "10.1.0.3/24", aliases: ["db", "postgres"] }),
  endpoint(e3, n2, "cache", { ipv4: "10.2.0.2/24" }),
  endpoint(e4, n2, "db-back", { ipv4: "10.2.0.3/24" }),
  sandbox(s1, "c-web", { hostname: "web", domainname: "example.org", extraHosts: [{ name: "registry", ip: "192.0.2.10" }] }),
  sandbox(s2, "c-db", { hostname: "db" }),
  sandbox(s3, "c-cache", { key: null }),
  joined(e1, s1),
  joined(e2, s2),
  joined(e4, s2),
  joined(e3, s3),
  endpoint(e6, n2, "worker", { ipv4: "10.2.0.4/24" }),
  sandbox(s4, "c-worker"),
  joined(e6, s4),
];
const state = stateOf(events);
const sb = (id: string) => C.get(state.sandboxes, id)!;

describe("a sandbox's hosts file (libnetwork's etchosts)", () => {
  it("has the default content, its own names on each address, its --add-host entries, then its peers on each network", () => {
    expect(hostsFile(state, sb(s1))).toBe(
      [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "ff00::0\tip6-mcastprefix",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
        "10.1.0.2\tweb.example.org web",
        "fd00:1::2\tweb.example.org web",
        "192.0.2.10\tregistry",
        "10.1.0.3\tdb postgres",
        "",
      ].join("\n"),
    );
  });

  it("lists the peers of every network the sandbox is on, and never a peer on a network it is not on", () => {
    const text = hostsFile(state, sb(s2));
    expect(text).toContain("10.1.0.2\tweb www\n");
    expect(text).toContain("fd00:1::2\tweb www\n");
    expect(text).toContain("10.2.0.2\tcache\n");
    expect(hostsFile(state, sb(s3))).not.toContain("web");
    expect(hostsFile(state, sb(s4))).toContain("10.2.0.2\tcache\n");
  });

  it("drops a peer once it has begun to leave", () => {
    const leaving = stateOf([...events, { type: "endpoint.left", stream: e2, data: { id: e2, sandbox: s2, pending: true } }]);
    expect(hostsFile(leaving, C.get(leaving.sandboxes, s1)!)).not.toContain("10.1.0.3");
  });

  it("is the same file when the peers of each network are worked out once for every sandbox written", () => {
    const shared = new PeerIndex(state);
    const alone = [s1, s2, s3, s4].map((id) => hostsFile(state, sb(id)));
    expect([s4, s3, s2, s1].map((id) => hostsFile(state, sb(id), shared)).reverse()).toEqual(alone);
    expect(alone[1]).toContain("10.2.0.4\tworker\n");
  });
});

describe("a sandbox's resolv.conf (libnetwork's resolvconf)", () => {
  const host = "# generated\nsearch corp.example\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver fd00::53\noptions edns0 ndots:2\n";

  it("filters the host's file: loopback servers go, IPv6 servers stay only when a network has IPv6", () => {
    expect(resolvConf(state, sb(s1), host)).toBe("# generated\nsearch corp.example\nnameserver 10.0.0.2\nnameserver fd00::53\noptions edns0 ndots:2\n");
    expect(resolvConf(state, sb(s4), host)).toBe("# generated\nsearch corp.example\nnameserver 10.0.0.2\noptions edns0 ndots:2\n");
  });

  it("falls back to Google's servers when nothing usable is left", () => {
    expect(resolvConf(state, sb(s4), "nameserver 127.0.0.53\n")).toBe("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    expect(resolvConf(state, sb(s1), "nameserver ::1\n")).toBe(
      "nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n",
    );
  });

  it("uses the --dns servers with the host's search domains and options", () => {
    const withDns = stateOf([...events, sandbox(hex("8"), "c-dns", { dns: ["1.1.1.1", "9.9.9.9"] })]);
    expect(resolvConf(withDns, C.get(withDns.sandboxes, hex("8"))!, host)).toBe(
      "search corp.example\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions edns0 ndots:2\n",
    );
  });

  it("copies the host's file unchanged for a sandbox in the host's namespace", () => {
    expect(resolvConf(state, sb(s3), host)).toBe(host);
  });
});

describe("which sandboxes' files a batch of events touches", () => {
  it("is the sandboxes of the touched endpoints and every sandbox on their networks, not the others", () => {
    const before = stateOf(events);
    const e5 = hex("e");
    const more: NewEvent[] = [endpoint(e5, n2, "late", { ipv4: "10.2.0.9/24" })];
    const after = stateOf([...events, ...more]);
    const stored = more.map((e, i) => ({ ...e, seq: before.seq + i + 1, version: 1, meta: { actor: "t", time: "t" }, hash: "" }));
    const t = touched(before, after, stored as never);
    expect([...t.networks]).toEqual([n2]);
    expect([...sandboxesToRewrite(after, t)].sort()).toEqual([s2, s3, s4].sort());
  });
});
