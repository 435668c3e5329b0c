import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as B from "../../../../src/domain/ipam/bitmap.js";

/** The smallest ordinal ≥ from and ≤ to that the reference set lacks, found the slow way. */
function referenceFirstClear(set: Set<bigint>, from: bigint, to: bigint): bigint | null {
  for (let x = from; x <= to; x++) if (!set.has(x)) return x;
  return null;
}

describe("bitmap trie", () => {
  for (const hostBits of [2, 10, 16, 24, 64]) {
    it(`agrees with a Set on add, remove, has, count and firstClear over 2^${hostBits} ordinals`, () => {
      const max = (1n << BigInt(hostBits)) - 1n;
      // Ordinals cluster in a few regions (never below 0: a small space has no `max - 40`) so that words fill up and searches cross word and node edges.
      const ordinal = fc
        .tuple(fc.constantFrom(0n, 31n, 1000n, max / 2n, max > 40n ? max - 40n : 0n), fc.bigInt({ min: 0n, max: 40n }))
        .map(([base, off]) => (base + off > max ? max : base + off));
      // Mostly adds, so that clusters fill and a search must respect its upper bound to be right.
      const op = fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), o: ordinal }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), o: ordinal }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("search" as const), o: ordinal, span: fc.bigInt({ min: 0n, max: 45n }) }) },
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
          const bm = B.emptyBitmap(hostBits);
          const ref = new Set<bigint>();
          const digits = (o: bigint) => B.digitsOf(o, bm.levels);
          for (const x of ops) {
            if (x.kind === "add") {
              expect(B.add(bm, digits(x.o))).toBe(!ref.has(x.o));
              ref.add(x.o);
            } else if (x.kind === "remove") {
              expect(B.remove(bm, digits(x.o))).toBe(ref.has(x.o));
              ref.delete(x.o);
            } else {
              const to = x.o + x.span > max ? max : x.o + x.span;
              const found = B.firstClear(bm, digits(x.o), digits(to));
              expect(found === null ? null : B.ordinalOf(found)).toBe(referenceFirstClear(ref, x.o, to));
            }
            expect(B.countOf(bm)).toBe(ref.size);
          }
          for (const o of ref) expect(B.has(bm, digits(o))).toBe(true);
        }),
        { numRuns: 60 },
      );
    });
  }

  it("shrinks back to an empty root when every ordinal is removed, so a drained pool costs nothing", () => {
    const bm = B.emptyBitmap(24);
    const ords = [0n, 1n, 31n, 32n, 1023n, 1024n, 5_000_000n, 16_777_215n];
    for (const o of ords) B.add(bm, B.digitsOf(o, bm.levels));
    for (const o of ords) B.remove(bm, B.digitsOf(o, bm.levels));
    expect(bm.root).toEqual({ n: 0, c: {} });
  });

  it("skips a full subtree without descending into it", () => {
    const bm = B.emptyBitmap(16);
    for (let o = 0n; o < 2048n; o++) B.add(bm, B.digitsOf(o, bm.levels));
    const found = B.firstClear(bm, B.digitsOf(0n, bm.levels), B.digitsOf(65535n, bm.levels));
    expect(B.ordinalOf(found!)).toBe(2048n);
  });

  it("finds the one clear ordinal of an otherwise full node", () => {
    const bm = B.emptyBitmap(16);
    for (let o = 0n; o < 1024n; o++) if (o !== 1023n) B.add(bm, B.digitsOf(o, bm.levels));
    expect(B.ordinalOf(B.firstClear(bm, B.digitsOf(0n, bm.levels), B.digitsOf(65535n, bm.levels))!)).toBe(1023n);
  });

  it("never answers past the upper bound, even inside a word", () => {
    const bm = B.emptyBitmap(16);
    for (let o = 100n; o < 110n; o++) B.add(bm, B.digitsOf(o, bm.levels));
    expect(B.firstClear(bm, B.digitsOf(100n, bm.levels), B.digitsOf(109n, bm.levels))).toBeNull();
    expect(B.ordinalOf(B.firstClear(bm, B.digitsOf(100n, bm.levels), B.digitsOf(110n, bm.levels))!)).toBe(110n);
  });

  it("converts IPv6-sized ordinals to digits and back exactly", () => {
    const levels = B.levelsFor(128);
    for (const o of [0n, 1n, (1n << 53n) + 1n, (1n << 64n) - 1n, (1n << 128n) - 1n]) expect(B.ordinalOf(B.digitsOf(o, levels))).toBe(o);
  });

  it("steps digits up and down across carries", () => {
    const levels = B.levelsFor(16);
    expect(B.ordinalOf(B.increment(B.digitsOf(1023n, levels))!)).toBe(1024n);
    expect(B.ordinalOf(B.decrement(B.digitsOf(1024n, levels))!)).toBe(1023n);
    expect(B.decrement(B.digitsOf(0n, levels))).toBeNull();
  });
});
