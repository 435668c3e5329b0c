import { describe, expect, it } from "vitest";
import { takeBatch } from "../../../src/cluster/takeBatch.js";

const items = (...bytes: number[]) => bytes.map((b, i) => ({ i, bytes: b }));

describe("the next batch of a group commit", () => {
  it("takes at most the count from the front and leaves the rest queued in order", () => {
    const q = items(1, 1, 1, 1, 1);
    expect(takeBatch(q, 3, 100).map((x) => x.i)).toEqual([0, 1, 2]);
    expect(q.map((x) => x.i)).toEqual([3, 4]);
  });

  it("stops before the item that would pass the byte limit, even if later ones would fit", () => {
    const q = items(40, 40, 30, 5);
    expect(takeBatch(q, 10, 100).map((x) => x.i)).toEqual([0, 1]);
    expect(q.map((x) => x.i)).toEqual([2, 3]);
  });

  it("always takes the first item, however large, so that it is sent and refused on its own", () => {
    const q = items(500, 1);
    expect(takeBatch(q, 10, 100).map((x) => x.i)).toEqual([0]);
    expect(q.map((x) => x.i)).toEqual([1]);
  });

  it("takes nothing from an empty queue", () => {
    expect(takeBatch([], 10, 100)).toEqual([]);
  });
});
