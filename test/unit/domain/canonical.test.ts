import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalPieces } from "../../../src/domain/canonical.js";

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

  it("gives the same text in pieces, at any depth it opens, undefined members and items included", () => {
    const withHoles = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined), tie("array"), tie("object")),
      array: fc.array(tie("value"), { maxLength: 4 }),
      object: fc.dictionary(fc.string({ maxLength: 3 }), tie("value"), { maxKeys: 4 }),
    })).object;
    fc.assert(
      fc.property(withHoles, fc.nat(8), (v, depth) => {
        expect([...canonicalPieces(v, depth)].join("")).toBe(canonicalJson(v));
      }),
    );
  });

  it("refuses what JSON cannot carry", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/cannot encode NaN/);
    expect(() => canonicalJson({ x: () => 1 })).toThrow(/cannot encode a function/);
  });
});
