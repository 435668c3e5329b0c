import { asNetledgerError, NetledgerError } from "../domain/errors.js";
import { type EffectOp, isEffectOp } from "../domain/effectOps.js";
import type { EffectRecord } from "../domain/state.js";
import type { EffectCall, NetworkDriver, SandboxDriver } from "../drivers/contract.js";
import type { DriverRegistry } from "../drivers/registry.js";
import { sandboxDriver } from "../domain/decide/index.js";
import { isIpamOp } from "../domain/ipam/ops.js";
import { executeIpam } from "./ipamExecutor.js";

/**
 * Makes the driver call an effect stands for. Returns the driver's result (kept in the outcome event);
 * throws a NetledgerError whose code classifies the failure: PluginUnavailable when the driver cannot
 * be reached (the effect stays pending), anything else is a definitive failure.
 */
export async function execute(registry: DriverRegistry, fx: EffectRecord, call: EffectCall): Promise<unknown> {
  if (isIpamOp(fx.op)) return executeIpam(registry.ipam, fx.op, fx, call);
  if (!isEffectOp(fx.op)) throw new NetledgerError("Internal", `unknown effect operation ${fx.op}`);
  const op: EffectOp = fx.op;
  const a = fx.args as never;
  if (fx.driver === sandboxDriver) {
    const sb = registry.sandboxDriver();
    if (!sb) throw new NetledgerError("PluginUnavailable", `the sandbox driver is not available in this process`);
    return executeSandbox(sb, op, a, call);
  }
  const reg = registry.get(fx.driver);
  if (!reg) throw new NetledgerError("PluginUnavailable", `network driver ${fx.driver} is not available`);
  try {
    return await executeNetwork(reg.driver, op, a, call);
  } catch (e) {
    throw classify(e, fx);
  }
}

async function executeNetwork(d: NetworkDriver, op: EffectOp, a: never, call: EffectCall): Promise<unknown> {
  switch (op) {
    case "createNetwork":
      await d.createNetwork(a, call);
      return null;
    case "deleteNetwork":
      await d.deleteNetwork(a, call);
      return null;
    case "createEndpoint":
      return (await d.createEndpoint(a, call)) ?? {};
    case "deleteEndpoint":
      await d.deleteEndpoint(a, call);
      return null;
    case "join":
      return (await d.join(a, call)) ?? {};
    case "leave":
      await d.leave(a, call);
      return null;
    case "createSandbox":
    case "deleteSandbox":
      throw new NetledgerError("Internal", `${op} is a sandbox operation, not a network driver's`);
  }
}

async function executeSandbox(d: SandboxDriver, op: EffectOp, a: never, call: EffectCall): Promise<unknown> {
  switch (op) {
    case "createSandbox":
      await d.createSandbox(a, call);
      return null;
    case "deleteSandbox":
      await d.deleteSandbox(a, call);
      return null;
    default:
      throw new NetledgerError("Internal", `${op} is not a sandbox operation`);
  }
}

/** A driver's failure as a DriverError naming the driver and the call, unless it is already classified. */
export function classify(e: unknown, fx: Pick<EffectRecord, "driver" | "op">): NetledgerError {
  const err = asNetledgerError(e, "DriverError");
  if (err.code === "Internal") return new NetledgerError("DriverError", `driver ${fx.driver}: ${fx.op}: ${err.message}`);
  return err;
}
