import { describe, expect, it } from "vitest";
import { poolRequests } from "../../../../src/domain/ipam/config.js";

describe("IPAM configuration", () => {
  it("refuses a gateway outside its subnet", () => {
    expect(() => poolRequests([{ subnet: "10.0.0.0/24", gateway: "10.0.1.1" }], false)).toThrow(
      /--gateway 10.0.1.1 is not in subnet 10.0.0.0\/24/,
    );
  });

  it("refuses a gateway that is the network or broadcast address", () => {
    expect(() => poolRequests([{ subnet: "10.0.0.0/24", gateway: "10.0.0.255" }], false)).toThrow(/broadcast address/);
    expect(() => poolRequests([{ subnet: "10.0.0.0/24", gateway: "10.0.0.0" }], false)).toThrow(/network address/);
  });

  it("refuses an --ip-range outside its subnet", () => {
    expect(() => poolRequests([{ subnet: "10.0.0.0/24", ipRange: "10.0.0.0/16" }], false)).toThrow(/--ip-range 10.0.0.0\/16 is not inside subnet/);
  });

  it("refuses an auxiliary address on the gateway, even the default one", () => {
    expect(() => poolRequests([{ subnet: "10.0.0.0/24", auxAddresses: { a: "10.0.0.1" } }], false)).toThrow(
      /--aux-address a=10.0.0.1 is the gateway of subnet 10.0.0.0\/24 \(the first host address, by default\)/,
    );
  });

  it("refuses subnets too small to hold a host address", () => {
    expect(() => poolRequests([{ subnet: "10.0.0.0/31" }], false)).toThrow(/needs a prefix of \/30 or shorter/);
  });

  it("refuses an IPv6 subnet on a network without IPv6, and two subnets of one network that overlap", () => {
    expect(() => poolRequests([{ subnet: "fd00::/64" }], false)).toThrow(/is IPv6, but IPv6 is not enabled on the network; add --ipv6/);
    expect(() => poolRequests([{ subnet: "10.0.0.0/16" }, { subnet: "10.0.3.0/24" }], false)).toThrow(/overlap/);
  });

  it("asks for IPv4 pools first, a default one when none is given, then IPv6", () => {
    const r = poolRequests([{ subnet: "fd00::/64" }], true);
    expect(r.map((x) => [x.family, x.subnet?.cidr ?? null])).toEqual([
      [4, null],
      [6, "fd00::/64"],
    ]);
  });
});
