import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * `network inspect`'s `Containers` and pools as `docker network inspect` documents them, on a dual-stack
 * network with several sandboxes: one entry per joined sandbox, keyed by its container id, with Docker's
 * five keys in Docker's order (checked against test/fixtures/docker/network-inspect.json) and the values
 * the endpoints have; an endpoint not joined is not a container. The pools' `free` counts the range.
 */
const fixture = JSON.parse(readFileSync(new URL("../../fixtures/docker/network-inspect.json", import.meta.url), "utf8")) as Record<string, unknown>[];
const fixtureContainer = Object.values(fixture[0]!["Containers"] as Record<string, Record<string, unknown>>)[0]!;

let db: string;
const run = (...args: string[]) => cli(["--db", db, ...args]);

beforeAll(async () => {
  db = join(fileTempDir(), "netledger.db");
  const steps = [
    ["network", "create", "-d", "null", "--ipv6", "--subnet", "172.29.0.0/16", "--ip-range", "172.29.7.0/24", "--gateway", "172.29.7.1", "--subnet", "fd00:29::/64", "dual"],
    ["sandbox", "create", "--host-netns", "cart"],
    ["sandbox", "create", "--host-netns", "till"],
    ["network", "connect", "--driver-opt", "lane=2", "dual", "cart"],
    ["endpoint", "create", "--mac", "02:42:ac:1d:07:09", "--ip", "172.29.7.9", "dual", "till-ep"],
    ["endpoint", "join", "dual", "till-ep", "till"],
    ["endpoint", "create", "dual", "spare"],
  ];
  for (const s of steps) {
    const r = await run(...s);
    expect(r.stderr, s.join(" ")).toBe("");
    expect(r.code, s.join(" ")).toBe(0);
  }
});

describe("network inspect's Containers and pools, as docker network inspect prints them", () => {
  it("has one entry per joined sandbox, keyed by container id, with Docker's keys, order and types, and each endpoint's values", async () => {
    const r = await run("network", "inspect", "dual");
    expect(r.code).toBe(0);
    const [doc] = JSON.parse(r.stdout) as Record<string, unknown>[];
    const containers = doc!["Containers"] as Record<string, Record<string, unknown>>;
    expect(Object.keys(containers).sort()).toEqual(["cart", "till"]);

    const views = JSON.parse((await run("--json", "endpoint", "inspect", "dual", "cart", "till-ep", "spare")).stdout) as Record<string, string | null>[];
    const [cart, till, spare] = views;
    for (const [key, ep] of [["cart", cart!], ["till", till!]] as const) {
      const entry = containers[key]!;
      expect(Object.keys(entry)).toEqual(Object.keys(fixtureContainer));
      for (const k of Object.keys(fixtureContainer)) expect(typeof entry[k], `${key}.${k}`).toBe(typeof fixtureContainer[k]);
      expect(entry).toEqual({ Name: ep["name"], EndpointID: ep["id"], MacAddress: ep["mac"] ?? "", IPv4Address: ep["ipv4"], IPv6Address: ep["ipv6"] });
    }
    expect(containers["till"]).toMatchObject({ Name: "till-ep", MacAddress: "02:42:ac:1d:07:09", IPv4Address: "172.29.7.9/16" });
    expect(containers["cart"]!["IPv4Address"]).toMatch(/^172\.29\.7\.\d+\/16$/);
    expect(containers["cart"]!["IPv6Address"]).toMatch(/^fd00:29::[0-9a-f]+\/64$/);
    // The endpoint no sandbox joined is netledger's to list, not Docker's.
    expect(Object.values(containers).map((c) => c["EndpointID"])).not.toContain(spare!["id"]);
    expect((doc!["Netledger"] as { endpoints: string[] }).endpoints).toContain(spare!["id"]);
    expect(doc!["EnableIPv6"]).toBe(true);
    expect((doc!["IPAM"] as { Config: unknown[] }).Config).toEqual([
      { Subnet: "172.29.0.0/16", IPRange: "172.29.7.0/24", Gateway: "172.29.7.1" },
      { Subnet: "fd00:29::/64", Gateway: "fd00:29::1" },
    ]);
  });

  it("counts free addresses within the --ip-range as a number, and an IPv6 pool's as a string", async () => {
    const [doc] = JSON.parse((await run("network", "inspect", "dual")).stdout) as { Netledger: { pools: { subnet: string; allocated: number; free: unknown }[] } }[];
    const [v4, v6] = doc!.Netledger.pools;
    // 256 in the range, less the gateway (.1) and three endpoints (network address and broadcast are outside it).
    expect(v4).toMatchObject({ subnet: "172.29.0.0/16", allocated: 4, free: 256 - 4 });
    // 2^64, less the network address (Subnet-Router anycast), the gateway and three endpoints.
    expect(v6).toMatchObject({ subnet: "fd00:29::/64", allocated: 4, free: String((1n << 64n) - 5n) });
  });

  it("prints Containers through {{json .Containers}}, as Docker users read it", async () => {
    const r = await run("network", "inspect", "-f", "{{json .Containers}}", "dual");
    expect(r.code).toBe(0);
    const containers = JSON.parse(r.stdout) as Record<string, { Name: string }>;
    expect(Object.entries(containers).map(([id, c]) => `${id}=${c.Name}`).sort()).toEqual(["cart=cart", "till=till-ep"]);
  });
});
