import { describe, expect, it } from "vitest";
import { macBase64, parseWireCidr, parseWireIp, parseWireMac } from "../../../../src/drivers/remote/wireValues.js";

describe("values as the plugin protocol writes them", () => {
  it("reads a MAC in each 6-byte form Go's ParseMAC takes, as lower-case colon text, and refuses others", () => {
    for (const m of ["7A:12:34:56:78:90", "7a-12-34-56-78-90", "7a12.3456.7890"]) expect(parseWireMac(m)).toBe("7a:12:34:56:78:90");
    for (const m of ["7a:12:34:56:78", "7a:12-34:56:78:90", "zz:12:34:56:78:90", "02:00:00:00:00:00:00:01"]) expect(parseWireMac(m)).toBeUndefined();
  });

  it("keeps an address's host bits in CIDR form, normalised, and refuses a plain address", () => {
    expect(parseWireCidr("2001:DB8::5:7/48")).toEqual({ family: 6, text: "2001:db8::5:7/48" });
    expect(parseWireCidr("192.168.5.7/16")).toEqual({ family: 4, text: "192.168.5.7/16" });
    expect(parseWireCidr("192.168.5.7")).toBeUndefined();
    expect(parseWireCidr("192.168.5.7/33")).toBeUndefined();
    expect(parseWireIp("10.0.0.1/24")).toBeUndefined();
  });

  it("sends a MAC inside generic options as base64 of its bytes, as Go's net.HardwareAddr", () => {
    expect(macBase64("02:42:ac:12:00:02")).toBe("AkKsEgAC");
  });
});
