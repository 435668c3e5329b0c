import fc from "fast-check";
import { createDraft, finishDraft, isDraft, produce } from "immer";
import { describe, expect, it } from "vitest";
import * as C from "../../../src/domain/collection.js";
// Loading evolve turns peeking on (domain/peek.ts), as it is in a controller.
import "../../../src/domain/evolve.js";

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
      C.getMut(d, key)!.n = -1;
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

  it("reads a draft as it is now without drafting what it passes, and getMut drafts what a recipe changes", () => {
    // Ids spread over the trie (a multiplicative hash is one-to-one on 32 bits).
    const k = (i: number) => (Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, "0").repeat(8);
    const base = C.emptyCollection<{ n: number }>();
    for (let i = 0; i < 100; i++) C.set(base, k(i), { n: i });
    const frozen = produce(base, () => {});
    const d = createDraft(frozen);
    C.getMut(d, k(7))!.n = -7;
    C.set(d, k(500), { n: 500 });
    C.remove(d, k(8));
    // Reads see every change made through the draft…
    expect(C.get(d, k(7))).toEqual({ n: -7 });
    expect(C.get(d, k(500))).toEqual({ n: 500 });
    expect(C.has(d, k(8))).toBe(false);
    expect(new Map(C.entries(d)).size).toBe(100);
    // …and a value only read is the frozen one of the base, not a new draft.
    const read = C.get(d, k(9))!;
    expect(isDraft(read)).toBe(false);
    expect(read).toBe(C.get(frozen, k(9)));
    expect(() => {
      read.n = 0;
    }).toThrow();
    const next = finishDraft(d);
    expect(C.get(next, k(7))).toEqual({ n: -7 });
    expect(C.get(next, k(9))).toEqual({ n: 9 });
    expect(next.size).toBe(100);
    // A subtree only read is shared with the base, not copied.
    const [a] = C.pathOf(k(9));
    const [a7] = C.pathOf(k(7));
    const [a500] = C.pathOf(k(500));
    const [a8] = C.pathOf(k(8));
    expect([a7, a500, a8]).not.toContain(a);
    expect(next.root[a]).toBe(frozen.root[a]);
  });
});
