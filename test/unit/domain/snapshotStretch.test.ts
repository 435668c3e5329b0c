import { describe, expect, it } from "vitest";
import { clusterSnapshotDue, snapshotStretch } from "../../../src/domain/snapshotStretch.js";

describe("snapshotStretch: how far a log runs past its latest snapshot", () => {
  it("is the floor while the state is small, and twice the state's entities once that is more", () => {
    expect(snapshotStretch(0, 1000)).toBe(1000);
    expect(snapshotStretch(500, 1000)).toBe(1000);
    expect(snapshotStretch(3000, 1000)).toBe(6000);
  });
});

describe("clusterSnapshotDue: whether a cluster append writes a snapshot", () => {
  // Left to follow the state, the stretch after a snapshot of `entities` (the cluster's floor is 1,000).
  const adaptive = (entities: number) => ({ every: undefined, stretch: snapshotStretch(entities, 1000) });

  it("with a fixed stretch, is due at each multiple an append crosses, whatever the state", () => {
    const fixed = { every: 10, last: 0, stretch: snapshotStretch(5000, 1000) };
    expect(clusterSnapshotDue({ ...fixed, from: 8, to: 9 })).toBe(false);
    expect(clusterSnapshotDue({ ...fixed, from: 9, to: 12 })).toBe(true);
    expect(clusterSnapshotDue({ ...fixed, from: 12, to: 19 })).toBe(false);
  });

  it("after a snapshot of a small state, is due once the head is the floor past it", () => {
    expect(clusterSnapshotDue({ ...adaptive(200), last: 1000, from: 1990, to: 1999 })).toBe(false);
    expect(clusterSnapshotDue({ ...adaptive(200), last: 1000, from: 1990, to: 2005 })).toBe(true);
  });

  it("after a snapshot of thousands of entities, waits for twice as many events as it held", () => {
    expect(clusterSnapshotDue({ ...adaptive(3000), last: 1000, from: 4990, to: 5010 })).toBe(false);
    expect(clusterSnapshotDue({ ...adaptive(3000), last: 1000, from: 6990, to: 7000 })).toBe(true);
  });
});
