import { describe, expect, it } from "vitest";
import type { Io } from "../../../src/cli/output.js";
import { colourOn, styleFor } from "../../../src/cli/style.js";

const io = (isTTY: boolean, env: NodeJS.ProcessEnv = {}): Io => ({ out: () => {}, err: () => {}, isTTY, env });

describe("colour", () => {
  it("is on only on a terminal without NO_COLOR (an empty NO_COLOR does not count, per no-color.org)", () => {
    expect(colourOn(io(true))).toBe(true);
    expect(colourOn(io(true, { NO_COLOR: "" }))).toBe(true);
    expect(colourOn(io(true, { NO_COLOR: "1" }))).toBe(false);
    expect(colourOn(io(false))).toBe(false);
  });

  it("paints states by what they mean, and nothing when off", () => {
    const on = styleFor(io(true));
    expect(on.state("active")).toBe("\u001b[32mactive\u001b[39m");
    expect(on.state("creating")).toBe("\u001b[33mcreating\u001b[39m");
    expect(on.state("failed")).toBe("\u001b[31mfailed\u001b[39m");
    expect(on.state("mystery")).toBe("mystery");
    const off = styleFor(io(true, { NO_COLOR: "1" }));
    expect(off.state("failed")).toBe("failed");
    expect(off.bold("NETWORKS")).toBe("NETWORKS");
  });
});
