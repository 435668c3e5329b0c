import fc from "fast-check";
import { IPv4 } from "ip-num";
import { describe, expect, it } from "vitest";
import * as C from "../../src/domain/collection.js";
import { contains, formatIp, ipText, reservedRole, tryParseIp } from "../../src/domain/ipam/address.js";
import { countOf } from "../../src/domain/ipam/bitmap.js";
import { isTaken, poolSubnet } from "../../src/domain/ipam/pool.js";
import { findOverlap } from "../../src/domain/ipam/subnets.js";
import type { State } from "../../src/domain/state.js";
import { Controller, isNetledgerError } from "../../src/index.js";
import { RecordingDriver } from "../helpers/recordingDriver.js";
import { TestIpam } from "../helpers/testIpam.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

/**
 * invariant 8 of docs/architecture.md under random sequences of network and endpoint creates and deletes, on the
 * default IPAM and on an IPAM driver with effects, with drivers that fail some calls: no address is
 * handed out twice in a pool; the network, broadcast, gateway and auxiliary addresses never go to an
 * endpoint; every address of a deleted (or failed) endpoint is free again; a deleted network's pools
 * are free again. After each sequence a full replay reaches the same state, and so does a snapshot.
 */

const subnets = ["10.1.0.0/29", "10.1.0.0/28", "10.1.0.8/29", "10.2.0.0/30", "fd00:1::/125", null] as const;

const op = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("net" as const),
      failing: fc.boolean(),
      driver: fc.constantFrom("null", "rec"),
      ipam: fc.constantFrom("default", "default", "tipam"),
      subnet: fc.constantFrom(...subnets),
      aux: fc.boolean(),
      range: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant("ep" as const),
      net: fc.nat(),
      failing: fc.constantFrom(false, false, false, true),
      host: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("rmep" as const), ep: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("rmnet" as const), net: fc.nat(), force: fc.boolean() }) },
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(c: Controller, o: Op, i: number): Promise<void> {
  const s = c.current();
  const nets = [...C.values(s.networks)].sort((a, b) => (a.name < b.name ? -1 : 1));
  const eps = [...C.values(s.endpoints)].sort((a, b) => (a.id < b.id ? -1 : 1));
  try {
    switch (o.t) {
      case "net": {
        const config = [];
        if (o.subnet) {
          const sub = tryParseIp(o.subnet.split("/")[0]!)!;
          const at = (k: bigint) => formatIp(sub.family, sub.value + k);
          config.push({
            subnet: o.subnet,
            ...(o.aux && !o.subnet.endsWith("/30") ? { auxAddresses: { reserved: at(5n) } } : {}),
            ...(o.range && o.subnet.endsWith("/28") ? { ipRange: `${at(8n)}/29` } : {}),
          });
        }
        const ipv6 = o.subnet?.includes(":") ?? false;
        await c.newNetwork(o.driver, `${o.failing ? "x" : "n"}${i}`, { ipam: { driver: o.ipam, config }, ipv6 });
        return;
      }
      case "ep": {
        const n = nets[o.net % Math.max(1, nets.length)];
        if (!n) return;
        const pool = n.pools[0];
        const sub = pool && tryParseIp(pool.subnet.split("/")[0]!);
        const ip = o.host !== undefined && sub ? formatIp(sub.family, sub.value + BigInt(o.host)) : undefined;
        const key = sub?.family === 6 ? "ip6" : "ip";
        await c.run({ type: "endpoint.create", network: n.id, name: `${o.failing ? "x" : "e"}${i}`, ...(ip ? { [key]: ip } : {}) });
        return;
      }
      case "rmep": {
        const e = eps[o.ep % Math.max(1, eps.length)];
        if (e) await c.run({ type: "endpoint.delete", network: e.network, endpoint: e.id, force: true });
        return;
      }
      case "rmnet": {
        const n = nets[o.net % Math.max(1, nets.length)];
        if (n) await c.run({ type: "network.delete", network: n.id, force: o.force });
        return;
      }
    }
  } catch (e) {
    if (!isNetledgerError(e) || e.code === "Internal") throw e; // refusals are expected; bugs are not
  }
}

const plain = (cidr: string | null) => (cidr === null ? null : cidr.slice(0, cidr.indexOf("/")));

/** Invariant 8 on one state, plus the test IPAM driver holding exactly what the state says it holds. */
function checkInvariant(s: State, tipam: TestIpam): void {
  const driverHeld: string[] = [];
  let defaultPools = 0;
  for (const n of C.values(s.networks)) {
    const eps = C.keys(n.endpoints).map((id) => C.get(s.endpoints, id)!);
    for (const p of n.pools) {
      const sub = poolSubnet(p);
      const reserved = new Set([p.gateway, ...Object.values(p.aux)].filter((a): a is string => a !== null));
      const mine = eps
        .flatMap((e) => [plain(e.ipv4), plain(e.ipv6)])
        .filter((a): a is string => a !== null && contains(sub, tryParseIp(a)!));
      expect(new Set(mine).size, `an address handed out twice in ${p.subnet}`).toBe(mine.length);
      for (const a of mine) {
        const ip = tryParseIp(a)!;
        expect(reserved.has(a), `${a} is the gateway or an aux address of ${p.subnet}`).toBe(false);
        expect(reservedRole(sub, ip), `${a} is reserved in ${p.subnet}`).toBeNull();
        if (p.allocator) expect(isTaken(p, ip)).toBe(true);
      }
      if (p.allocator) {
        // Exact accounting: what is taken is the reserved addresses, gateway, aux and endpoints, nothing else.
        const always = sub.family === 4 ? 2 : 1;
        expect(countOf(p.allocator.bitmap), `pool ${p.id} holds addresses nobody has`).toBe(always + reserved.size + mine.length);
        expect(findOverlap(s.ipamSubnets, p.addressSpace, sub)?.network).toBe(n.id);
        defaultPools++;
      } else {
        driverHeld.push(...reserved, ...mine);
      }
    }
  }
  // The index holds the subnets of live networks only: a deleted network's pool is free again.
  let indexed = 0;
  for (const m of C.values(s.ipamSubnets)) if (m.network) indexed++;
  expect(indexed).toBe(defaultPools);
  expect(tipam.held().map((a) => ipText(tryParseIp(a)!))).toEqual(driverHeld.sort());
}

describe("invariant 8: IPAM", () => {
  it("holds after every step of random create/delete sequences, and replay reaches the same state", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        const db = tempDb();
        const c = await Controller.open({ db, runDir: tempDir(), actor: "property" });
        const tipam = new TestIpam();
        try {
          const rec = new RecordingDriver();
          // Names that start with x fail at the network driver (networks and endpoints) or at the IPAM driver.
          const failing = (r: Record<string, unknown>) => (String(r["name"] ?? "").startsWith("x") ? "refused" : undefined);
          rec.failOn.createNetwork = failing;
          c.registerDriver("rec", rec, { dataScope: "local", sideEffects: true, usesIpam: true });
          await c.registerIpamDriver("tipam", tipam);
          const names = new Map<string, string>();
          rec.failOn.createEndpoint = (r) => (names.get(String(r["endpointId"]))?.startsWith("x") ? "refused" : undefined);
          tipam.failOn.requestAddress = (r) => (r["address"] === "" && String(r["poolId"]).includes("10.2.") ? "refused" : undefined);
          for (let i = 0; i < ops.length; i++) {
            await apply(c, ops[i]!, i);
            for (const e of C.values(c.current().endpoints)) names.set(e.id, e.name);
            checkInvariant(c.current(), tipam);
            if (i === Math.floor(ops.length / 2)) c.snapshot();
          }
          const report = c.verify();
          expect(report.problems).toEqual([]);
          expect(report.stateHash).toBe(c.stateHash());
        } finally {
          await c.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("IPv4 addresses read by hand", () => {
  it("accepts and reads exactly what ip-num accepts and reads", () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{1,4}$/));
    const text = fc.oneof(
      fc.tuple(octet, octet, octet, octet).map((o) => o.join(".")),
      fc.stringMatching(/^[0-9.]{0,17}$/),
      fc.ipV4().map((t) => t.replace(/(^|\.)(\d)/, "$10$2")), // a leading zero somewhere
      fc.ipV4(),
    );
    fc.assert(
      fc.property(text, (t) => {
        let expected: bigint | undefined;
        try {
          expected = IPv4.fromString(t).value;
        } catch {
          expected = undefined;
        }
        expect(tryParseIp(t)?.value).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
