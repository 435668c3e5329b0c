import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LatestWins } from "../../../src/cluster/latestWins.js";

describe("LatestWins", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("hands a burst of values over once, the latest, after the wait", async () => {
    const seen: number[] = [];
    const w = new LatestWins<number>(async (v) => void seen.push(v), 20);
    const done = [1, 2, 3].map((v) => w.push(v));
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    await Promise.all(done);
    expect(seen).toEqual([3]);
  });

  it("runs at once when asked, and a push during a run is handed over after it", async () => {
    const seen: number[] = [];
    let finish!: () => void;
    const w = new LatestWins<number>((v) => {
      seen.push(v);
      return v === 1 ? new Promise<void>((r) => (finish = r)) : Promise.resolve();
    }, 20);
    const first = w.push(1, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([1]);
    const second = w.push(2);
    await vi.advanceTimersByTimeAsync(50);
    expect(seen).toEqual([1]); // one run at a time
    finish();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    await second;
    expect(seen).toEqual([1, 2]);
  });

  it("waits longer after a run whose own work was long, so projections keep to a share of the thread", async () => {
    const seen: number[] = [];
    let now = 0;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const w = new LatestWins<number>(async (v) => {
      seen.push(v);
      now += 10; // 10 ms of work before the promise is handed back
    }, 20);
    await w.push(1, true);
    const next = w.push(2);
    await vi.advanceTimersByTimeAsync(89);
    expect(seen).toEqual([1]); // 9 × 10 ms must pass first
    await vi.advanceTimersByTimeAsync(1);
    await next;
    expect(seen).toEqual([1, 2]);
  });

  it("goes on after a run that failed, and settles what waited on it", async () => {
    const seen: number[] = [];
    const w = new LatestWins<number>(async (v) => {
      seen.push(v);
      if (v === 1) throw new Error("refused");
    }, 5);
    await w.push(1, true);
    await w.push(2, true);
    expect(seen).toEqual([1, 2]);
  });

  it("drops what was not started when stopped, and what comes after", async () => {
    const seen: number[] = [];
    const w = new LatestWins<number>(async (v) => void seen.push(v), 20);
    const pending = w.push(1);
    await w.stop();
    await pending;
    await w.push(2); // after stop (a fold while the node closes): dropped
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual([]);
  });
});
