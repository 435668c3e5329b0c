import fc from "fast-check";
import { produce } from "immer";
import { describe, expect, it } from "vitest";
import * as C from "../../src/domain/collection.js";
import { decideQuestion, dnsOption, dnsTable } from "../../src/domain/dnsRecords.js";
import type { NewEvent } from "../../src/domain/events.js";
import type { PoolRecord } from "../../src/domain/ipam/pool.js";
import { endpoint, hex, joined, network, sandbox, stateOf } from "../helpers/state.js";

/**
 * The embedded DNS records against the hosts files' rule (libnetwork's service records) on random
 * topologies, against a model written out here: from any sandbox, a name (an endpoint's name or alias)
 * is answered with the addresses of the joined endpoints it names on the first network that has it —
 * the network whose server was asked, then the sandbox's other networks with a resolver in join order;
 * a name on no network the sandbox shares is forwarded. fast-check prints the seed and path of a
 * failing run.
 */
const topology = fc.record({
  networks: fc.array(fc.record({ driver: fc.constantFrom("bridge", "bridge", "null"), dns: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  sandboxes: fc.integer({ min: 1, max: 5 }),
  endpoints: fc.array(
    fc.record({ net: fc.nat(2), sb: fc.option(fc.nat(4), { nil: null }), aliases: fc.subarray(["db", "cache", "www"]) }),
    { maxLength: 10 },
  ),
});

const pool = (i: number): PoolRecord => ({
  id: `default/10.${i + 1}.0.0/24`, driver: "default", addressSpace: "LocalDefault", family: 4,
  subnet: `10.${i + 1}.0.0/24`, ipRange: null, gateway: `10.${i + 1}.0.1/24`, aux: {}, data: {}, allocator: null,
});

describe("the embedded DNS records on random topologies", () => {
  it("answer a name from the first network that has it (the one asked, then the sandbox's others), and never from a network not shared", () => {
    fc.assert(
      fc.property(topology, (t) => {
        const netIds = t.networks.map((_, i) => hex(String(i + 1)));
        const sbIds = Array.from({ length: t.sandboxes }, (_, i) => hex("abcde"[i]!));
        const events: NewEvent[] = t.networks.map((n, i) => network(netIds[i]!, `n${i}`, { driver: n.driver, options: n.dns ? {} : { [dnsOption]: "false" } }));
        sbIds.forEach((id, i) => events.push(sandbox(id, `c${i}`)));
        const eps: { id: string; net: number; sb: number | null; ip: string; name: string; aliases: string[] }[] = [];
        const taken = new Set<string>();
        t.endpoints.forEach((e, k) => {
          const net = e.net % t.networks.length;
          let sb = e.sb === null ? null : e.sb % t.sandboxes;
          // A sandbox has one endpoint per network, as libnetwork allows.
          if (sb !== null && taken.has(`${net}/${sb}`)) sb = null;
          if (sb !== null) taken.add(`${net}/${sb}`);
          const ep = { id: (k + 16).toString(16).padStart(64, "f"), net, sb, ip: `10.${net + 1}.0.${k + 2}`, name: `ep-${k}`, aliases: e.aliases };
          eps.push(ep);
          events.push(endpoint(ep.id, netIds[net]!, ep.name, { ipv4: `${ep.ip}/24`, aliases: ep.aliases }));
          if (sb !== null) events.push(joined(ep.id, sbIds[sb]!));
        });
        const state = produce(stateOf(events), (d) => {
          netIds.forEach((id, i) => (C.getMut(d.networks, id)!.pools = [pool(i)]));
        });
        const table = dnsTable(state);
        const served = (net: number) => t.networks[net]!.driver === "bridge" && t.networks[net]!.dns;
        // The model: a name's addresses on a network are those of the joined endpoints it names there.
        const on = (net: number, name: string) =>
          eps.filter((e) => e.sb !== null && e.net === net && (e.name === name || e.aliases.includes(name))).map((e) => e.ip).sort();
        for (const me of eps) {
          if (me.sb === null || !served(me.net)) continue;
          // The networks asked: the one whose server is asked, then the sandbox's others in join order.
          const others = eps.filter((e) => e.sb === me.sb && served(e.net) && e.net !== me.net).map((e) => e.net);
          const order = [me.net, ...others];
          for (const name of [...new Set(eps.flatMap((e) => [e.name, ...e.aliases]))]) {
            const first = order.find((n) => on(n, name).length > 0);
            const d = decideQuestion(table, netIds[me.net]!, me.ip, name, "A");
            if (first === undefined) expect(d.kind, name).toBe("forward");
            else expect(d.kind === "answer" ? [...d.addresses].sort() : d, name).toEqual(on(first, name));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
