import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as B from "../../../../src/domain/ipam/bitmap.js";

/** How many of the reference set's ordinals lie in [from, to], counted one by one. */
const naiveCount = (set: Set<bigint>, from: bigint, to: bigint): number => [...set].filter((o) => o >= from && o <= to).length;

describe("counting the ordinals set in a range", () => {
  for (const hostBits of [2, 8, 16, 24, 64, 128]) {
    it(`agrees with a naive count over 2^${hostBits} ordinals, whatever the set and the bounds`, () => {
      const max = (1n << BigInt(hostBits)) - 1n;
      // Ordinals and bounds cluster round word and node edges, and at the two ends of the space.
      const near = fc
        .tuple(fc.constantFrom(0n, 31n, 32n, 1023n, 1024n, max / 2n, max > 40n ? max - 40n : 0n), fc.bigInt({ min: 0n, max: 40n }))
        .map(([base, off]) => (base + off > max ? max : base + off));
      const ordinal = fc.oneof(near, fc.bigInt({ min: 0n, max }));
      const seed = Date.now() ^ (hostBits << 8);
      const run = () =>
        fc.assert(
          fc.property(fc.array(ordinal, { maxLength: 150 }), fc.array(fc.tuple(ordinal, ordinal), { minLength: 1, maxLength: 20 }), (set, ranges) => {
            const bm = B.emptyBitmap(hostBits);
            const ref = new Set(set);
            for (const o of ref) B.add(bm, B.digitsOf(o, bm.levels));
            for (const [x, y] of ranges) {
              const [from, to] = x <= y ? [x, y] : [y, x];
              expect(B.countSetIn(bm, B.digitsOf(from, bm.levels), B.digitsOf(to, bm.levels))).toBe(naiveCount(ref, from, to));
            }
            expect(B.countSetIn(bm, B.digitsOf(0n, bm.levels), B.digitsOf(max, bm.levels))).toBe(B.countOf(bm));
          }),
          { numRuns: 80, seed },
        );
      try {
        run();
      } catch (e) {
        console.error(`countSetIn property failed over 2^${hostBits} ordinals; fast-check seed ${seed}`);
        throw e;
      }
    });
  }

  it("counts a full word, a single bit and an empty range edge exactly", () => {
    const bm = B.emptyBitmap(16);
    const d = (o: number) => B.digitsOf(BigInt(o), bm.levels);
    for (let o = 32; o < 64; o++) B.add(bm, d(o));
    B.add(bm, d(70));
    expect(B.countSetIn(bm, d(32), d(63))).toBe(32);
    expect(B.countSetIn(bm, d(0), d(31))).toBe(0);
    expect(B.countSetIn(bm, d(63), d(70))).toBe(2);
    expect(B.countSetIn(bm, d(71), d(65535))).toBe(0);
  });
});
