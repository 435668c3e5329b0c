import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Io } from "../../../src/cli/output.js";
import { barSize, progressBar } from "../../../src/cli/progress.js";

/** A terminal to draw on: what was written to it is kept. */
function terminal(columns = 120): { stream: NodeJS.WriteStream; drawn: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let drawn = "";
  s.on("data", (d: Buffer) => (drawn += d.toString()));
  Object.assign(s, { isTTY: true, columns, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: s, drawn: () => drawn };
}

const io = (progress?: NodeJS.WriteStream): Io => ({ out: () => {}, err: () => {}, isTTY: false, env: {}, ...(progress ? { progress } : {}) });

beforeEach(() => vi.useFakeTimers({ now: new Date("2024-05-01T00:00:00Z") }));
afterEach(() => vi.useRealTimers());

describe("progressBar", () => {
  it("draws a bar for work whose first reports promise more than a second", () => {
    const t = terminal();
    const bar = progressBar(io(t.stream), "verify");
    vi.advanceTimersByTime(100);
    bar.onProgress!(16_384, 1_000_000); // 100 ms for 1.6 %: about six seconds in all
    vi.advanceTimersByTime(400);
    bar.onProgress!(500_000, 1_000_000);
    bar.onProgress!(1_000_000, 1_000_000);
    bar.done();
    expect(t.drawn()).toMatch(/verify \[[░█]+\] 50% \| 500000\/1000000 events/);
  });

  it("draws nothing for work that will be done in well under a second", () => {
    const t = terminal();
    const bar = progressBar(io(t.stream), "replay");
    vi.advanceTimersByTime(20);
    bar.onProgress!(16_384, 40_000);
    vi.advanceTimersByTime(30);
    bar.onProgress!(40_000, 40_000);
    bar.done();
    expect(t.drawn()).toBe("");
  });

  it("draws once a second has passed, whatever the estimate said", () => {
    const t = terminal();
    const bar = progressBar(io(t.stream), "replay");
    vi.advanceTimersByTime(10);
    bar.onProgress!(16_384, 32_768); // looked quick
    vi.advanceTimersByTime(1_500); // but was not
    bar.onProgress!(24_000, 32_768);
    bar.done();
    expect(t.drawn()).toContain("replay [");
  });

  it("asks for no reports at all when stderr is not a terminal", () => {
    const bar = progressBar(io(undefined), "verify");
    expect(bar.onProgress).toBeUndefined();
    expect(() => bar.done()).not.toThrow();
  });

  it("fits its whole line, ETA included, on an 80-column terminal", () => {
    const t = terminal(80);
    const bar = progressBar(io(t.stream), "topology");
    vi.advanceTimersByTime(100);
    bar.onProgress!(16_384, 1_000_000);
    vi.advanceTimersByTime(400);
    bar.onProgress!(500_000, 1_000_000);
    const lines = t.drawn().split(/\r|\n|\x1b\[[0-9;]*[A-Za-z]/).filter((l) => l.includes("events"));
    bar.done();
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).toMatch(/^topology \[.*ETA /);
      expect(l.length).toBeLessThanOrEqual(80);
    }
    expect(barSize(80, "verify", 1_000_000)).toBeLessThan(40);
    expect(barSize(200, "verify", 1_000_000)).toBe(40);
  });
});
