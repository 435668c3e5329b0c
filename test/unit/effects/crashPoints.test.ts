import { describe, expect, it } from "vitest";
import { isNetledgerError } from "../../../src/domain/errors.js";
import { crashPointHits, crashPointNames, parseCrashSpec } from "../../../src/effects/crashPoints.js";

describe("NETLEDGER_CRASH_AT", () => {
  it("names a point and the pass at which to die, the first by default", () => {
    expect(parseCrashSpec(undefined)).toBeNull();
    expect(parseCrashSpec("")).toBeNull();
    expect(parseCrashSpec("after-call")).toEqual({ point: "after-call", nth: 1 });
    expect(parseCrashSpec("before-commit:12")).toEqual({ point: "before-commit", nth: 12 });
  });

  it.each(["after-lunch", "after-call:0", "after-call:x", "after-call:2:3"])("refuses %s, saying what is allowed", (text) => {
    let message = "";
    try {
      parseCrashSpec(text);
    } catch (e) {
      if (isNetledgerError(e) && e.code === "InvalidParameter") message = e.message;
    }
    expect(message).toBe(
      `NETLEDGER_CRASH_AT="${text}" is not a crash point: expected POINT[:N] with POINT one of before-commit, after-commit, after-call, after-outcome and N ≥ 1`,
    );
  });

  it("counts every point, armed or not", () => {
    expect(Object.keys(crashPointHits()).sort()).toEqual([...crashPointNames].sort());
  });
});
