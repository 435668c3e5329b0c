import { describe, expect, it } from "vitest";
import type { Attempt } from "../../../src/domain/events.js";
import type { EffectRecord } from "../../../src/domain/state.js";
import type { IpamDriver, RequestPoolRequest } from "../../../src/drivers/ipamContract.js";
import { DriverRegistry } from "../../../src/drivers/registry.js";
import { Dispatcher, type Outcome } from "../../../src/effects/dispatcher.js";

/**
 * A RequestPool naming a pool, taken over in doubt (the effect table's `releaseAnswered`): against an
 * IPAM that counts references as libnetwork's allocator does, the network ends holding exactly one,
 * whether the dead attempts' calls were made or not.
 */
class CountingIpam implements IpamDriver {
  readonly refs = new Map<string, number>();
  readonly ops: string[] = [];
  async getDefaultAddressSpaces() {
    return { localDefaultAddressSpace: "L", globalDefaultAddressSpace: "G" };
  }
  async requestPool(req: RequestPoolRequest) {
    this.ops.push("RequestPool");
    const id = `${req.addressSpace}/${req.pool}`;
    this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
    return { poolId: id, pool: req.pool };
  }
  async releasePool(req: { poolId: string }) {
    this.ops.push("ReleasePool");
    const n = this.refs.get(req.poolId);
    if (n === undefined) throw new Error(`pool ${req.poolId} does not exist`);
    if (n > 1) this.refs.set(req.poolId, n - 1);
    else this.refs.delete(req.poolId);
  }
  async requestAddress(): Promise<never> {
    throw new Error("not asked here");
  }
  async releaseAddress() {}
}

const dead: Attempt = { pid: 999_999, start: "1", boot: "gone" };
const request = { addressSpace: "L", pool: "10.5.0.0/24", subPool: "", options: {}, v6: false };

function poolEffect(attempts: number): EffectRecord {
  return {
    id: 7,
    driver: "cipam",
    op: "requestPool",
    resource: "n".repeat(64),
    root: "r",
    args: { network: "n".repeat(64), owner: "n".repeat(64), family: 4, role: "pool", request, userGateway: false },
    inverse: false,
    failure: null,
    attempts: Array.from({ length: attempts }, () => dead),
    requestedAt: "2025-01-01T00:00:00Z",
  } as EffectRecord;
}

async function takeOver(ipam: CountingIpam, attempts: number): Promise<Outcome[]> {
  const registry = new DriverRegistry();
  await registry.ipam.register("cipam", ipam);
  const outcomes: Outcome[] = [];
  const d = new Dispatcher({ registry, databaseId: "test", report: (_id, _a, o) => outcomes.push(o) });
  d.start(poolEffect(attempts), true);
  await d.drain();
  return outcomes;
}

describe("RequestPool for a given pool, taken over in doubt", () => {
  for (const [made, attempts] of [
    [0, 2],
    [1, 2],
    [2, 3],
  ] as const)
    it(`ends with the one reference the network keeps when ${made} of the dead attempts' calls were made`, async () => {
      const ipam = new CountingIpam();
      for (let i = 0; i < made; i++) await ipam.requestPool(request);
      const outcomes = await takeOver(ipam, attempts);
      expect(outcomes).toEqual([{ ok: true, result: expect.objectContaining({ poolId: "L/10.5.0.0/24" }) }]);
      expect(Object.fromEntries(ipam.refs)).toEqual({ "L/10.5.0.0/24": 1 });
    });
});
