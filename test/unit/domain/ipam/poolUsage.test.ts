import { describe, expect, it } from "vitest";
import { knownSubnet } from "../../../../src/domain/ipam/address.js";
import { claimAddress, defaultPoolId, newPoolAllocator, type PoolRecord, poolUsage } from "../../../../src/domain/ipam/pool.js";

/** A default-IPAM pool of `subnet`, dynamic allocation drawing from `ipRange` when given. */
function pool(subnet: string, ipRange: string | null = null): PoolRecord {
  return {
    id: defaultPoolId("LocalDefault", subnet, ipRange),
    driver: "default",
    addressSpace: "LocalDefault",
    family: knownSubnet(subnet).family,
    subnet,
    ipRange,
    gateway: null,
    aux: {},
    data: {},
    allocator: newPoolAllocator(knownSubnet(subnet), ipRange ? knownSubnet(ipRange) : null),
  };
}

describe("a pool's usage", () => {
  it("counts an IPv4 subnet's free addresses as a number, less the network and broadcast addresses and what is taken", () => {
    const p = pool("10.1.0.0/24");
    expect(poolUsage(p)).toMatchObject({ allocated: 0, free: 254 });
    claimAddress(p, "10.1.0.1", false);
    claimAddress(p, "10.1.0.2", true);
    expect(poolUsage(p)).toMatchObject({ allocated: 2, free: 252 });
  });

  it("counts only the --ip-range's free addresses, not the whole subnet's", () => {
    const p = pool("10.1.0.0/24", "10.1.0.128/28");
    expect(poolUsage(p)).toMatchObject({ ipRange: "10.1.0.128/28", allocated: 0, free: 16 });
    claimAddress(p, "10.1.0.1", false); // the gateway, outside the range: allocated, but the range is as free as before
    claimAddress(p, "10.1.0.130", true);
    claimAddress(p, "10.1.0.143", false);
    expect(poolUsage(p)).toMatchObject({ allocated: 3, free: 14 });
  });

  it("leaves the network and broadcast addresses out of a range that holds them", () => {
    expect(poolUsage(pool("10.1.0.0/24", "10.1.0.0/28"))).toMatchObject({ free: 15 });
    expect(poolUsage(pool("10.1.0.0/24", "10.1.0.240/28"))).toMatchObject({ free: 15 });
    expect(poolUsage(pool("10.1.0.0/24", "10.1.0.0/24"))).toMatchObject({ free: 254 });
  });

  it("counts an IPv6 pool as a decimal string, exact past 2^53", () => {
    const p = pool("fd00::/64", "fd00::/80");
    claimAddress(p, "fd00::5", true);
    expect(poolUsage(p)).toMatchObject({ allocated: 1, free: String((1n << 48n) - 2n) });
    const whole = pool("fd00::/64");
    expect(poolUsage(whole)).toMatchObject({ free: "18446744073709551615" });
    expect(typeof poolUsage(pool("fd00::/120"))!.free).toBe("string");
  });
});
