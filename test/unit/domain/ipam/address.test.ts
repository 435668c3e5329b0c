import { describe, expect, it } from "vitest";
import { formatIp, ipText, overlaps, parseIp, parseSubnet } from "../../../../src/domain/ipam/address.js";

describe("addresses and subnets", () => {
  it("writes IPv6 addresses in RFC 5952 form whatever form they came in", () => {
    expect(ipText(parseIp("FD00:0:0:0:0:0:0:5", "x"))).toBe("fd00::5");
    expect(ipText(parseIp("2001:db8:0:0:1:0:0:1", "x"))).toBe("2001:db8::1:0:0:1");
    expect(parseSubnet("FD00:1::/64", "x").cidr).toBe("fd00:1::/64");
    expect(formatIp(6, 0n)).toBe("::");
  });

  it("refuses text that is not an address, naming the flag", () => {
    expect(() => parseIp("10.0.0", "--ip")).toThrow(/--ip "10.0.0" is not an IPv4 or IPv6 address/);
    expect(() => parseIp("fd00::1%eth0", "--ip6")).toThrow(/not an IPv4 or IPv6 address/);
    expect(() => parseIp(" 10.0.0.1", "--ip")).toThrow(/not an IPv4 or IPv6 address/);
  });

  it("refuses a subnet with host bits set and says which was meant", () => {
    expect(() => parseSubnet("10.0.0.5/24", "--subnet")).toThrow(/has host bits set; did you mean 10.0.0.0\/24\?/);
    expect(() => parseSubnet("10.0.0.0/33", "--subnet")).toThrow(/prefix length is at most 32/);
    expect(() => parseSubnet("10.0.0.0", "--subnet")).toThrow(/not a subnet in CIDR form/);
  });

  it("finds overlap whichever subnet is the larger, and never across families", () => {
    const a = parseSubnet("10.0.0.0/16", "a");
    const b = parseSubnet("10.0.5.0/24", "b");
    const c = parseSubnet("10.1.0.0/16", "c");
    expect(overlaps(a, b)).toBe(true);
    expect(overlaps(b, a)).toBe(true);
    expect(overlaps(a, c)).toBe(false);
    expect(overlaps(parseSubnet("::/0", "v6"), a)).toBe(false);
  });
});
