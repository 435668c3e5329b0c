import fc from "fast-check";
import { produce } from "immer";
import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";

describe("the trie collection", () => {
  it("behaves as a map under any sequence of sets and removes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }), fc.string().filter((k) => k !== "__proto__")), fc.nat())), (ops) => {
        const c = C.emptyCollection<number>();
        const m = new Map<string, number>();
        for (const [put, k, v] of ops) {
          if (put) (C.set(c, k, v), m.set(k, v));
          else expect(C.remove(c, k)).toBe(m.delete(k));
        }
        expect(c.size).toBe(m.size);
        expect(new Map(C.entries(c))).toEqual(m);
        for (const [k, v] of m) expect(C.get(c, k)).toBe(v);
        if (m.size === 0) expect(c.root).toEqual({});
      }),
    );
  });

  it("copies only the path an immer update touches, sharing every other node", () => {
    const base = C.emptyCollection<{ n: number }>();
    for (let i = 0; i < 5000; i++) C.set(base, i.toString(16).padStart(64, "0"), { n: i });
    const frozen = produce(base, () => {});
    const key = (42).toString(16).padStart(64, "0");
    const next = produce(frozen, (d) => {
      C.get(d, key)!.n = -1;
    });
    expect(C.get(next, key)).toEqual({ n: -1 });
    const [a, b] = C.pathOf(key);
    const untouched = Object.keys(next.root).filter((x) => x !== a);
    for (const x of untouched) expect(next.root[x]).toBe(frozen.root[x]);
    for (const y of Object.keys(next.root[a]!).filter((y) => y !== b)) expect(next.root[a]![y]).toBe(frozen.root[a]![y]);
  });

  it("finds ids by a prefix of at least three hex characters", () => {
    const c = C.emptyCollection<number>();
    C.set(c, "abcdef" + "0".repeat(58), 1);
    C.set(c, "abcdee" + "0".repeat(58), 2);
    expect(C.keysWithPrefix(c, "abcdef").length).toBe(1);
    expect(C.keysWithPrefix(c, "abcde").length).toBe(2);
  });
});
