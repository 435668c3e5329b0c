import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/domain/canonical.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth, drops undefined members, and parses back to the same value", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it("refuses what JSON cannot carry", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/cannot encode NaN/);
    expect(() => canonicalJson({ x: () => 1 })).toThrow(/cannot encode a function/);
  });
});
