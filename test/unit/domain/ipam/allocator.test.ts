import { describe, expect, it } from "vitest";
import * as A from "../../../../src/domain/ipam/allocator.js";
import { digitsOf, ordinalOf } from "../../../../src/domain/ipam/bitmap.js";

const take = (al: A.Allocator) => {
  const d = A.takeNext(al);
  return d === null ? null : ordinalOf(d);
};

describe("allocator", () => {
  it("hands out the ordinal after the last one, so a just-released one is not reused at once", () => {
    const al = A.newAllocator(8, 1n, 254n);
    expect([take(al), take(al), take(al)]).toEqual([1n, 2n, 3n]);
    A.release(al, digitsOf(2n, al.bitmap.levels));
    expect(take(al)).toBe(4n);
  });

  it("wraps round to the start of the window when it reaches the end", () => {
    const al = A.newAllocator(3, 1n, 6n);
    for (let i = 0; i < 6; i++) take(al);
    A.release(al, digitsOf(3n, al.bitmap.levels));
    A.release(al, digitsOf(5n, al.bitmap.levels));
    expect(take(al)).toBe(3n);
    expect(take(al)).toBe(5n);
    expect(take(al)).toBeNull();
  });

  it("draws only from its window", () => {
    const al = A.newAllocator(16, 1280n, 1535n);
    expect(take(al)).toBe(1280n);
    for (let i = 0; i < 255; i++) expect(take(al)).toBeGreaterThan(1280n);
    expect(take(al)).toBeNull();
  });

  it("does not move the cursor for an ordinal claimed by request", () => {
    const al = A.newAllocator(8, 1n, 254n);
    take(al);
    A.claim(al, digitsOf(200n, al.bitmap.levels), false);
    expect(take(al)).toBe(2n);
  });
});
