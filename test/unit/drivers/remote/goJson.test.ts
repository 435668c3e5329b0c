import { describe, expect, it } from "vitest";
import { z } from "zod";
import { retryAbort, retryDelayMs } from "../../../../src/drivers/remote/backoff.js";
import { firstJsonValue, goBool, goEncode, goInt, goPointer, goString, goStruct, sortedMap } from "../../../../src/drivers/remote/goJson.js";

describe("the plugin client's retry schedule", () => {
  it("§9.6 waits 1, 2, 4, 16, 30, 30 s and gives up when the wait would pass 30 s", () => {
    expect([0, 1, 2, 4, 6, 10].map(retryDelayMs)).toEqual([1000, 2000, 4000, 16_000, 30_000, 30_000]);
    expect([1000, 2000, 10_000].map((d) => retryAbort(d, 0))).toEqual([false, false, false]);
    expect([30_000, 40_000].map((d) => retryAbort(d, 0))).toEqual([true, true]);
  });
});

describe("Go's JSON rules", () => {
  const caps = goStruct({ Scope: goString, ConnectivityScope: goString, Flag: goBool, N: goInt, Inner: goPointer({ Name: goString }) });

  it("matches keys without regard to case, an exact match first, and ignores unknown keys", () => {
    expect(caps.parse({ scope: "local", SCOPE: "x", Scope: "global", foo: "bar" })).toMatchObject({ Scope: "global" });
    expect(caps.parse({ scope: "local", inner: { NAME: "a" } })).toMatchObject({ Scope: "local", Inner: { Name: "a" } });
  });

  it("leaves zero values for missing keys and nulls, and a null body is all zero values", () => {
    expect(caps.parse(null)).toEqual({ Scope: "", ConnectivityScope: "", Flag: false, N: 0, Inner: null });
    expect(caps.parse({ Scope: null, Inner: null })).toMatchObject({ Scope: "", Inner: null });
  });

  it("fails the whole decode on a type mismatch", () => {
    expect(caps.safeParse({ Scope: 1 }).success).toBe(false);
    expect(caps.safeParse({ Flag: "true" }).success).toBe(false);
    expect(caps.safeParse({ N: 1.5 }).success).toBe(false);
    expect(caps.safeParse("local").success).toBe(false);
    expect(z.array(z.string()).safeParse(caps.parse({}).Scope).success).toBe(false);
  });

  it("reads only the first JSON value and refuses an empty body", () => {
    expect(firstJsonValue('{"a":1}\n')).toEqual({ a: 1 });
    expect(firstJsonValue('{"a":"}"} trailing {')).toEqual({ a: "}" });
    expect(firstJsonValue("null")).toBeNull();
    expect(() => firstJsonValue("  ")).toThrow(/EOF/);
    expect(() => firstJsonValue('{"a":')).toThrow();
  });

  it("encodes as Go does: HTML characters escaped, sorted map keys, a trailing newline", () => {
    expect(goEncode({ B: "<a&b>", A: sortedMap({ z: 1, a: 2 }) })).toBe('{"B":"\\u003ca\\u0026b\\u003e","A":{"a":2,"z":1}}\n');
  });
});
