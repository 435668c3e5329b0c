import { describe, expect, it } from "vitest";
import { isValidName, validateName } from "../../../src/domain/names.js";

describe("libnetwork's name rule", () => {
  it.each(["a", "n1", "my-net_2.0", "A".repeat(64)])("accepts %s", (n) => expect(isValidName(n)).toBe(true));
  it.each(["", "-a", ".a", "_a", "a b", "a/b", "é", "A".repeat(65)])("refuses %j", (n) => expect(isValidName(n)).toBe(false));
  it("says what is wrong", () => {
    expect(() => validateName("network", "")).toThrow("network name must not be empty");
    expect(() => validateName("endpoint", "a b")).toThrow(/invalid endpoint name "a b"/);
  });
});
