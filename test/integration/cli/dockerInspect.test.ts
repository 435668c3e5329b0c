import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../helpers/cli.js";
import { fileTempDir } from "../../helpers/tmp.js";

/**
 * `network inspect` against what `docker network inspect` prints: test/fixtures/docker/network-inspect.json
 * is such a document, written from Docker's documentation (own names and values), with a container
 * attached and every IPAM field set. The same steps as its story (a network with a subnet, an IP range,
 * a gateway, an auxiliary address, a driver option and a label; a container connected) are run through
 * the CLI, and the keys and types of what it prints are checked against the fixture's.
 */
const fixture = JSON.parse(readFileSync(new URL("../../fixtures/docker/network-inspect.json", import.meta.url), "utf8")) as unknown[];

/** A value's shape: its JSON type, and for objects each key's shape (maps keyed by ids are compared by one entry). */
function shape(v: unknown, mapKeys = false): unknown {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? "array" : ["array", shape(v[0])];
  if (typeof v !== "object") return typeof v;
  const entries = Object.entries(v as Record<string, unknown>);
  if (mapKeys) return entries.length === 0 ? "map" : ["map", shape(entries[0]![1])];
  return Object.fromEntries(entries.map(([k, x]) => [k, shape(x, ["Containers", "Options", "Labels", "AuxiliaryAddresses"].includes(k))]));
}

let db: string;
const run = (...args: string[]) => cli(["--db", db, ...args]);

beforeAll(async () => {
  db = join(fileTempDir(), "netledger.db");
  const steps = [
    ["network", "create", "-d", "null", "--subnet", "172.28.0.0/16", "--ip-range", "172.28.5.0/24", "--gateway", "172.28.5.254", "--aux-address", "printer=172.28.1.5", "-o", "com.example.colour=blue", "--label", "team=checkout", "shop-net"],
    ["sandbox", "create", "--host-netns", "cart"],
    ["network", "connect", "shop-net", "cart"],
  ];
  for (const s of steps) expect((await run(...s)).code, s.join(" ")).toBe(0);
});

describe("network inspect as docker network inspect prints it", () => {
  it("has Docker's keys, in Docker's order, with Docker's types, and netledger's facts under one key of its own", async () => {
    const r = await run("network", "inspect", "shop-net");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Array.isArray(doc)).toBe(true);
    const ours = doc[0]!;
    const { Netledger, ...dockerPart } = ours;
    expect(Object.keys(ours)).toEqual([...Object.keys(fixture[0] as object), "Netledger"]);
    expect(shape(dockerPart)).toEqual(shape(fixture[0]));
    expect(Netledger).toMatchObject({ state: "active" });
    const c = Object.values(ours["Containers"] as Record<string, { IPv4Address: string; Name: string }>)[0]!;
    expect(c.Name).toBe("cart");
    expect(c.IPv4Address).toMatch(/^172\.28\.5\.\d+\/16$/);
    expect(Object.keys(ours["Containers"] as object)).toEqual(["cart"]);
  });

  it("prints the found networks and reports each missing one as Docker does, exiting 1", async () => {
    // Names that are not hex: a one-letter hex name could be a unique prefix of a random network id.
    const r = await run("network", "inspect", "shop-net", "x", "y");
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { Name: string }[]).map((n) => n.Name)).toEqual(["shop-net"]);
    expect(r.stderr).toBe("Error: No such network: x\nError: No such network: y\n");
  });

  it("prints each through -f/--format as Docker's Go templates do", async () => {
    const r = await run("network", "inspect", "-f", "{{.Name}} {{.IPAM.Driver}} {{json .Labels}} {{.Netledger.state}}", "shop-net", "shop-net");
    expect(r.stdout).toBe('shop-net default {"team":"checkout"} active\nshop-net default {"team":"checkout"} active\n');
  });

  it("keeps netledger's own view with --json", async () => {
    const r = await run("--json", "network", "inspect", "shop-net");
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ name: "shop-net", state: "active" });
  });

  it("reports missing endpoints and sandboxes likewise, and formats them", async () => {
    const e = await run("endpoint", "inspect", "-f", "{{.name}} {{.state}}", "shop-net", "cart", "nope");
    expect(e.code).toBe(1);
    expect(e.stdout).toBe("cart joined\n");
    expect(e.stderr).toBe("Error: No such endpoint: nope\n");
    const s = await run("sandbox", "inspect", "cart", "ghost");
    expect(s.code).toBe(1);
    expect((JSON.parse(s.stdout) as { containerId: string }[]).map((x) => x.containerId)).toEqual(["cart"]);
    expect(s.stderr).toBe("Error: No such sandbox: ghost\n");
  });
});
