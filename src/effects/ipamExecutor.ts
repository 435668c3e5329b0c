import { asNetledgerError, NetledgerError } from "../domain/errors.js";
import type { IpamOp } from "../domain/ipam/ops.js";
import type { EffectRecord } from "../domain/state.js";
import type { EffectCall } from "../drivers/contract.js";
import type { IpamRegistry } from "../drivers/ipamRegistry.js";

/**
 * Makes the IPAM driver call an effect stands for. The answer is returned as the driver gave it (the
 * domain checks it against the request); a driver that cannot be reached is PluginUnavailable, so the
 * effect stays pending. A failed release is an answer too, not a failure: libnetwork logs ReleasePool
 * and ReleaseAddress errors and goes on, and so does netledger, keeping the error in the outcome.
 */
export async function executeIpam(registry: IpamRegistry, op: IpamOp, fx: Pick<EffectRecord, "driver" | "args">, call: EffectCall): Promise<unknown> {
  if (!registry.get(fx.driver)) {
    // A plugin IPAM is registered lazily, on first use in this process (plugin discovery).
    try {
      await registry.ensure(fx.driver);
    } catch (e) {
      throw new NetledgerError("PluginUnavailable", `IPAM driver ${fx.driver}: plugin discovery failed: ${(e as Error).message}`);
    }
  }
  const reg = registry.get(fx.driver);
  if (!reg?.driver) throw new NetledgerError("PluginUnavailable", `IPAM driver ${fx.driver} is not available`);
  const d = reg.driver;
  const req = (fx.args["request"] ?? {}) as never;
  try {
    switch (op) {
      case "requestPool":
        return await d.requestPool(req, call);
      case "requestAddress":
        return await d.requestAddress(req, call);
      case "releasePool":
        await d.releasePool(req, call);
        return null;
      case "releaseAddress":
        // An in-doubt RequestAddress is undone by releasing what it asked for; with nothing asked, nothing to release.
        if (!(req as { address?: string }).address) return null;
        await d.releaseAddress(req, call);
        return null;
    }
  } catch (e) {
    const err = asNetledgerError(e, "DriverError");
    if (err.code === "PluginUnavailable") throw err;
    if (op === "releasePool" || op === "releaseAddress") return { ignoredError: { code: err.code, message: err.message } };
    if (err.code === "Internal") throw new NetledgerError("DriverError", `IPAM driver ${fx.driver}: ${op}: ${err.message}`);
    throw err;
  }
}
