import { describe, expect, it } from "vitest";
import { emptyCollection } from "../../../../src/domain/collection.js";
import { parseSubnet } from "../../../../src/domain/ipam/address.js";
import { firstFreeDefaultPool } from "../../../../src/domain/ipam/defaults.js";
import { findOverlap, markSubnet, type SubnetIndex, unmarkSubnet } from "../../../../src/domain/ipam/subnets.js";

const sub = (s: string) => parseSubnet(s, "subnet");

describe("subnet index", () => {
  it("finds a held subnet that contains, equals or lies inside the one asked about, with its network", () => {
    const idx: SubnetIndex = emptyCollection();
    markSubnet(idx, "L", sub("10.1.0.0/16"), "net-a");
    markSubnet(idx, "L", sub("10.2.3.0/24"), "net-b");
    expect(findOverlap(idx, "L", sub("10.1.2.0/24"))).toEqual({ subnet: "10.1.0.0/16", network: "net-a" });
    expect(findOverlap(idx, "L", sub("10.1.0.0/16"))).toEqual({ subnet: "10.1.0.0/16", network: "net-a" });
    expect(findOverlap(idx, "L", sub("10.0.0.0/8"))?.network).toMatch(/^net-[ab]$/);
    expect(findOverlap(idx, "L", sub("10.2.0.0/16"))).toEqual({ subnet: "10.2.3.0/24", network: "net-b" });
    expect(findOverlap(idx, "L", sub("10.3.0.0/16"))).toBeUndefined();
    expect(findOverlap(idx, "G", sub("10.1.0.0/16"))).toBeUndefined();
  });

  it("forgets a subnet once it is released and leaves no entries behind", () => {
    const idx: SubnetIndex = emptyCollection();
    markSubnet(idx, "L", sub("10.1.0.0/16"), "net-a");
    markSubnet(idx, "L", sub("fd00::/64"), "net-a");
    unmarkSubnet(idx, "L", sub("10.1.0.0/16"));
    unmarkSubnet(idx, "L", sub("fd00::/64"));
    expect(findOverlap(idx, "L", sub("10.1.0.0/16"))).toBeUndefined();
    expect(idx.size).toBe(0);
  });

  it("chooses libnetwork's default pools in order, skipping any that overlap", () => {
    const idx: SubnetIndex = emptyCollection();
    expect(firstFreeDefaultPool(idx, "LocalDefault")?.cidr).toBe("172.17.0.0/16");
    markSubnet(idx, "LocalDefault", sub("172.17.0.0/16"), "a");
    markSubnet(idx, "LocalDefault", sub("172.18.5.0/24"), "b");
    expect(firstFreeDefaultPool(idx, "LocalDefault")?.cidr).toBe("172.19.0.0/16");
    for (let i = 19; i <= 31; i++) markSubnet(idx, "LocalDefault", sub(`172.${i}.0.0/16`), `n${i}`);
    markSubnet(idx, "LocalDefault", sub("192.168.0.0/20"), "c");
    expect(firstFreeDefaultPool(idx, "LocalDefault")?.cidr).toBe("192.168.16.0/20");
    expect(firstFreeDefaultPool(idx, "GlobalDefault")?.cidr).toBe("10.0.0.0/24");
    markSubnet(idx, "GlobalDefault", sub("10.0.0.0/23"), "g");
    expect(firstFreeDefaultPool(idx, "GlobalDefault")?.cidr).toBe("10.0.2.0/24");
  });
});
