import { describe, expect, it } from "vitest";
import { ipamConfig } from "../../../src/cli/ipamFlags.js";
import { cli } from "../../helpers/cli.js";
import { tempDb } from "../../helpers/tmp.js";

describe("netledger network create IPAM flags", () => {
  it("pairs each --gateway, --ip-range and --aux-address with the subnet that contains it, whatever the order", () => {
    expect(
      ipamConfig(
        ["10.1.0.0/16", "10.2.0.0/16"],
        ["10.2.0.254", "10.1.0.254"],
        ["10.2.9.0/24"],
        { printer: "10.1.0.9", scanner: "10.2.0.9" },
      ),
    ).toEqual([
      { subnet: "10.1.0.0/16", gateway: "10.1.0.254", auxAddresses: { printer: "10.1.0.9" } },
      { subnet: "10.2.0.0/16", gateway: "10.2.0.254", ipRange: "10.2.9.0/24", auxAddresses: { scanner: "10.2.0.9" } },
    ]);
  });

  it("names a flag value that fits no subnet, and a subnet given two gateways", () => {
    expect(() => ipamConfig(["10.1.0.0/16", "10.2.0.0/16"], ["10.3.0.1"], [], {})).toThrow(
      "--gateway 10.3.0.1 is not in any --subnet (10.1.0.0/16, 10.2.0.0/16)",
    );
    expect(() => ipamConfig(["10.1.0.0/16"], [], ["10.0.0.0/8"], {})).toThrow("--ip-range 10.0.0.0/8 is not in any --subnet (10.1.0.0/16)");
    expect(() => ipamConfig(["10.1.0.0/16"], [], [], { a: "10.9.0.1" })).toThrow("--aux-address a=10.9.0.1 is not in any --subnet (10.1.0.0/16)");
    expect(() => ipamConfig(["10.1.0.0/16", "10.2.0.0/16"], ["10.1.0.1", "10.1.0.2"], [], {})).toThrow(
      "subnet 10.1.0.0/16 has two --gateway values, 10.1.0.1 and 10.1.0.2; give one",
    );
    expect(() => ipamConfig([], ["10.1.0.1"], [], {})).toThrow("--gateway, --ip-range and --aux-address need a --subnet");
  });

  it("creates a null network that allocates as a bridge one would, and shows addresses as interface.md says", async () => {
    const db = tempDb();
    const created = await cli(["--db", db, "network", "create", "-d", "null", "--subnet", "10.9.0.0/24", "--gateway", "10.9.0.254", "n1"]);
    expect(created).toMatchObject({ code: 0, stderr: "" });
    expect((await cli(["--db", db, "endpoint", "create", "n1", "e1"])).code).toBe(0);
    const ep = JSON.parse((await cli(["--db", db, "--json", "endpoint", "inspect", "n1", "e1"])).stdout);
    expect(ep).toMatchObject({ ipv4: "10.9.0.1/24", gateway: "10.9.0.254" });
    const [net] = JSON.parse((await cli(["--db", db, "--json", "network", "inspect", "n1"])).stdout);
    expect(net.ipam).toMatchObject({
      driver: "default",
      config: [{ subnet: "10.9.0.0/24", gateway: "10.9.0.254" }],
      pools: [{ subnet: "10.9.0.0/24", allocated: 2, free: 252 }],
    });
  });

  it("reports an exhausted pool as a JSON error with its code", async () => {
    const db = tempDb();
    await cli(["--db", db, "network", "create", "-d", "null", "--subnet", "10.9.0.0/30", "n1"]);
    await cli(["--db", db, "endpoint", "create", "n1", "e1"]);
    const r = await cli(["--db", db, "--json", "endpoint", "create", "n1", "e2"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toEqual({
      error: {
        code: "Exhausted",
        message: "no free IPv4 address left in network n1: subnet 10.9.0.0/30 is full; remove an endpoint or create the network with a larger subnet",
      },
    });
  });

  it("refuses a gateway outside every subnet before writing anything", async () => {
    const db = tempDb();
    const r = await cli(["--db", db, "network", "create", "-d", "null", "--subnet", "10.9.0.0/24", "--gateway", "10.8.0.1", "n1"]);
    expect(r).toMatchObject({ code: 1, stderr: "netledger: --gateway 10.8.0.1 is not in any --subnet (10.9.0.0/24)\n" });
    expect((await cli(["--db", db, "--json", "network", "ls"])).stdout.trim()).toBe("[]");
  });
});
