import { describe, expect, it } from "vitest";
import { parsePoint, sinceSeq, stateSeq, untilSeq } from "../../../src/controller/points.js";
import { fixtureStore } from "../../helpers/fixtureStore.js";

const now = new Date("2024-05-01T10:40:00.000Z");

describe("parsePoint", () => {
  it("reads a seq and head", () => {
    expect(parsePoint("--until", "42", now)).toEqual({ kind: "seq", seq: 42 });
    expect(parsePoint("--until", "0", now)).toEqual({ kind: "seq", seq: 0 });
    expect(parsePoint("--until", "head", now)).toEqual({ kind: "head" });
  });

  it("reads an ISO time, as UTC when it has no offset", () => {
    expect(parsePoint("--since", "2024-05-01T09:30:00Z", now)).toEqual({ kind: "time", time: "2024-05-01T09:30:00.000Z" });
    expect(parsePoint("--since", "2024-05-01T09:30", now)).toEqual({ kind: "time", time: "2024-05-01T09:30:00.000Z" });
    expect(parsePoint("--since", "2024-05-01T11:30:00+02:00", now)).toEqual({ kind: "time", time: "2024-05-01T09:30:00.000Z" });
    expect(parsePoint("--since", "2024-05-01", now)).toEqual({ kind: "time", time: "2024-05-01T00:00:00.000Z" });
  });

  it("reads a time ago against the clock it is given", () => {
    expect(parsePoint("--since", "90s", now)).toEqual({ kind: "time", time: "2024-05-01T10:38:30.000Z" });
    expect(parsePoint("--since", "10m", now)).toEqual({ kind: "time", time: "2024-05-01T10:30:00.000Z" });
    expect(parsePoint("--since", "2h", now)).toEqual({ kind: "time", time: "2024-05-01T08:40:00.000Z" });
    expect(parsePoint("--since", "3d", now)).toEqual({ kind: "time", time: "2024-04-28T10:40:00.000Z" });
    expect(parsePoint("--since", "1w", now)).toEqual({ kind: "time", time: "2024-04-24T10:40:00.000Z" });
  });

  it("refuses anything else, naming the option and the value", () => {
    for (const bad of ["yesterday", "-3", "10 m", "2024-13-45T00:00:00Z", "3y", ""])
      expect(() => parsePoint("--since", bad, now)).toThrow(new RegExp(`^--since takes a seq .* not "${bad}"$`));
  });
});

describe("points on the fixture log", () => {
  it("admits from the first event at or after a time, up to the last at or before it", () => {
    const store = fixtureStore();
    const t = (s: string) => parsePoint("p", s, now);
    // seq 14 at 09:15, 15 at 09:16, 16 at 09:20.
    expect(sinceSeq(store.log, t("2024-05-01T09:16:00Z"))).toBe(15);
    expect(sinceSeq(store.log, t("2024-05-01T09:16:01Z"))).toBe(16);
    expect(untilSeq(store.log, t("2024-05-01T09:16:00Z"))).toBe(15);
    expect(untilSeq(store.log, t("2024-05-01T09:19:59Z"))).toBe(15);
    expect(untilSeq(store.log, t("2020-01-01"))).toBe(0);
    expect(sinceSeq(store.log, t("2030-01-01"))).toBe(27);
    expect(stateSeq(store.log, "--until", t("head"))).toBe(26);
    expect(() => stateSeq(store.log, "--until", t("27"))).toThrow("--until 27 is past the head of the log (seq 26)");
  });
});
