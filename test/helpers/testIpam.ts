import { contains, formatIp, overlaps, parseIp, parseSubnet, sizeOf, type Subnet } from "../../src/domain/ipam/address.js";
import type {
  AddressSpaces,
  IpamDriver,
  RequestAddressRequest,
  RequestAddressResult,
  RequestPoolRequest,
  RequestPoolResult,
} from "../../src/drivers/ipamContract.js";

export type IpamCallName = "requestPool" | "releasePool" | "requestAddress" | "releaseAddress";

interface Pool {
  subnet: Subnet;
  taken: Set<bigint>;
}

/**
 * An IPAM driver in this process, as a remote IPAM plugin would behave: it keeps its own pools and
 * addresses, chooses pools from 10.200.0.0/16 (and fd99::/16) when none is asked for, and records
 * every call. `failOn` makes a call fail with a message, as a plugin's `Error` would.
 */
export class TestIpam implements IpamDriver {
  readonly calls: { op: IpamCallName; req: Record<string, unknown> }[] = [];
  readonly pools = new Map<string, Pool>();
  failOn: Partial<Record<IpamCallName, (req: Record<string, unknown>) => string | undefined>> = {};
  /** Data to return with a pool (e.g. a gateway). */
  poolData: Record<string, string> = {};
  private nextDefault = 0;

  constructor(private readonly spaces: AddressSpaces = { localDefaultAddressSpace: "TestLocal", globalDefaultAddressSpace: "TestGlobal" }) {}

  private record(op: IpamCallName, req: object): void {
    this.calls.push({ op, req: { ...req } });
    const why = this.failOn[op]?.(req as Record<string, unknown>);
    if (why) throw new Error(why);
  }

  ops(): IpamCallName[] {
    return this.calls.map((c) => c.op);
  }

  /** Addresses the driver holds, as text, across pools. */
  held(): string[] {
    return [...this.pools.values()].flatMap((p) => [...p.taken].map((v) => formatIp(p.subnet.family, v))).sort();
  }

  async getDefaultAddressSpaces(): Promise<AddressSpaces> {
    return this.spaces;
  }

  async requestPool(req: RequestPoolRequest): Promise<RequestPoolResult> {
    this.record("requestPool", req);
    const n = this.nextDefault++;
    const cidr = req.pool || (req.v6 ? `fd99:${n}::/64` : `10.200.${n}.0/24`);
    const subnet = parseSubnet(cidr, "pool");
    for (const [id, p] of this.pools) if (overlaps(p.subnet, subnet)) throw new Error(`${cidr} overlaps pool ${id}`);
    const poolId = `${req.addressSpace}:${cidr}`;
    this.pools.set(poolId, { subnet, taken: new Set() });
    return { poolId, pool: cidr, data: { ...this.poolData } };
  }

  async releasePool(req: { poolId: string }): Promise<void> {
    this.record("releasePool", req);
    if (!this.pools.delete(req.poolId)) throw new Error(`no pool ${req.poolId}`);
  }

  async requestAddress(req: RequestAddressRequest): Promise<RequestAddressResult> {
    this.record("requestAddress", req);
    const p = this.pools.get(req.poolId);
    if (!p) throw new Error(`no pool ${req.poolId}`);
    let value: bigint;
    if (req.address) {
      const ip = parseIp(req.address, "address");
      if (!contains(p.subnet, ip)) throw new Error(`${req.address} is out of range`);
      if (p.taken.has(ip.value)) throw new Error(`${req.address} is already allocated`);
      value = ip.value;
    } else {
      let ord = 1n;
      while (p.taken.has(p.subnet.network + ord) && ord < sizeOf(p.subnet) - 1n) ord++;
      if (p.taken.has(p.subnet.network + ord)) throw new Error("no available addresses");
      value = p.subnet.network + ord;
    }
    p.taken.add(value);
    return { address: `${formatIp(p.subnet.family, value)}/${p.subnet.prefix}`, data: {} };
  }

  async releaseAddress(req: { poolId: string; address: string }): Promise<void> {
    this.record("releaseAddress", req);
    const p = this.pools.get(req.poolId);
    if (!p || !p.taken.delete(parseIp(req.address, "address").value)) throw new Error(`${req.address} is not allocated`);
  }
}
