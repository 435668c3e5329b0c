import type { z } from "zod";
import { NetledgerError } from "../../domain/errors.js";
import type { EffectCall } from "../contract.js";
import type {
  AddressSpaces,
  IpamCapability,
  IpamDriver,
  RequestAddressRequest,
  RequestAddressResult,
  RequestPoolRequest,
  RequestPoolResult,
} from "../ipamContract.js";
import {
  addressSpacesResponse,
  ipamCapabilitiesResponse,
  ipamEmptyResponse,
  ipamSubsystem,
  requestAddressResponse,
  requestPoolResponse,
} from "./api.js";
import { type CallOptions, effectCallOptions, type PluginClient } from "./client.js";
import { sortedMap } from "./goJson.js";

/**
 * libnetwork's remote IPAM (ipams/remote/remote.go): every IpamDriver call of plugin-protocol.md §7 as
 * `POST /IpamDriver.<Method>`. The in-body error field is `Error` (a 200 answer with `Err` is a
 * success, §3.2). Addresses and pools come back in CIDR form, as the plugin wrote them: the effect layer
 * checks them against the contract (domain/effects/results.ts). An empty address is `No address returned`.
 */
export class RemoteIpamDriver implements IpamDriver {
  constructor(
    readonly name: string,
    readonly client: PluginClient,
  ) {}

  /** The IPAM call rule: the in-body error field is `Error` (§3.2). */
  private call<S extends z.ZodType<{ Error: string }>>(method: string, body: unknown, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
    return this.client.callChecked(`${ipamSubsystem}.${method}`, body, schema, "Error", opts);
  }

  /** Optional (§7.1): a plugin that cannot answer is registered with both flags false. */
  async getCapabilities(): Promise<IpamCapability> {
    try {
      const r = await this.call("GetCapabilities", undefined, ipamCapabilitiesResponse, { idempotent: true });
      return { requiresMacAddress: r.RequiresMACAddress, requiresRequestReplay: r.RequiresRequestReplay };
    } catch (e) {
      if (e instanceof NetledgerError && e.code === "PluginUnavailable") throw e;
      return { requiresMacAddress: false, requiresRequestReplay: false };
    }
  }

  async getDefaultAddressSpaces(): Promise<AddressSpaces> {
    const r = await this.call("GetDefaultAddressSpaces", undefined, addressSpacesResponse, { idempotent: true });
    return { localDefaultAddressSpace: r.LocalDefaultAddressSpace, globalDefaultAddressSpace: r.GlobalDefaultAddressSpace };
  }

  async requestPool(req: RequestPoolRequest, call: EffectCall): Promise<RequestPoolResult> {
    const r = await this.call(
      "RequestPool",
      { AddressSpace: req.addressSpace, Pool: req.pool, SubPool: req.subPool, Options: emptyAsNull(req.options), V6: req.v6 },
      requestPoolResponse,
      effectCallOptions(call),
    );
    return { poolId: r.PoolID, pool: r.Pool, ...(r.Data ? { data: r.Data } : {}) };
  }

  async releasePool(req: { poolId: string }, call: EffectCall): Promise<void> {
    await this.call("ReleasePool", { PoolID: req.poolId }, ipamEmptyResponse, effectCallOptions(call));
  }

  async requestAddress(req: RequestAddressRequest, call: EffectCall): Promise<RequestAddressResult> {
    const m = `${ipamSubsystem}.RequestAddress`;
    const r = await this.call("RequestAddress", { PoolID: req.poolId, Address: req.address, Options: emptyAsNull(req.options) }, requestAddressResponse, effectCallOptions(call));
    if (r.Address === "") throw this.client.fail("DriverError", m, "No address returned");
    return { address: r.Address, ...(r.Data ? { data: r.Data } : {}) };
  }

  async releaseAddress(req: { poolId: string; address: string }, call: EffectCall): Promise<void> {
    await this.call("ReleaseAddress", { PoolID: req.poolId, Address: req.address }, ipamEmptyResponse, effectCallOptions(call));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** libnetwork sends a nil options map as null. */
function emptyAsNull(m: Record<string, string> | undefined): Record<string, string> | null {
  return m && Object.keys(m).length > 0 ? sortedMap(m) : null;
}
