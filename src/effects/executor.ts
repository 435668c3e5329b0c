import { sandboxDriver } from "../domain/decide/index.js";
import type { EffectOp } from "../domain/effectOps.js";
import { type ErrorCode, isNetledgerError, NetledgerError } from "../domain/errors.js";
import type { EffectRecord } from "../domain/state.js";
import type { EffectCall, NetworkDriver, SandboxDriver } from "../drivers/contract.js";
import type { DriverRegistry } from "../drivers/registry.js";
import { isIpamOp, type IpamOp } from "../domain/ipam/ops.js";
import { executeIpam } from "./ipamExecutor.js";
import { checkResult } from "./results.js";

/**
 * Makes one driver call for an effect: its own operation, or the operation's undo (same arguments: an
 * undo takes a subset of what its create took). Returns the driver's answer, checked and as it will be
 * stored; throws a NetledgerError whose code classifies the failure and whose message names the driver
 * and the call (`driver X: createEndpoint: …`): PluginUnavailable when the driver cannot be reached
 * (the effect stays pending), BadResponse for a malformed answer, the driver's own class (NotFound,
 * Forbidden, …) when it gave one, DriverError for anything else.
 */
export async function execute(
  registry: DriverRegistry,
  fx: Pick<EffectRecord, "driver" | "args">,
  op: EffectOp | IpamOp,
  call: EffectCall,
): Promise<unknown> {
  if (isIpamOp(op)) return executeIpam(registry.ipam, op, fx, call);
  let raw: unknown;
  try {
    raw =
      fx.driver === sandboxDriver
        ? await invokeSandbox(sandboxOf(registry), op, fx.args as never, call)
        : await invokeNetwork(await networkDriverOf(registry, fx.driver), op, fx.args as never, call);
    return checkResult(op, raw);
  } catch (e) {
    throw driverFailure(e, fx.driver, op);
  }
}

function sandboxOf(registry: DriverRegistry): SandboxDriver {
  const sb = registry.sandboxDriver();
  if (!sb) throw new NetledgerError("PluginUnavailable", "the sandbox driver is not available in this process");
  return sb;
}

/** A driver by name, asking plugin discovery (the registry's resolvers) when it is not registered yet. */
async function networkDriverOf(registry: DriverRegistry, name: string): Promise<NetworkDriver> {
  if (!registry.get(name)) {
    try {
      await registry.ensure(name);
    } catch (e) {
      throw new NetledgerError("PluginUnavailable", `plugin discovery failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const reg = registry.get(name);
  if (!reg) throw new NetledgerError("PluginUnavailable", "not available: no built-in driver, registered driver or plugin by that name");
  return reg.driver;
}

async function invokeNetwork(d: NetworkDriver, op: EffectOp, a: never, call: EffectCall): Promise<unknown> {
  switch (op) {
    case "createNetwork":
      return d.createNetwork(a, call);
    case "deleteNetwork":
      return d.deleteNetwork(a, call);
    case "createEndpoint":
      return d.createEndpoint(a, call);
    case "deleteEndpoint":
      return d.deleteEndpoint(a, call);
    case "join":
      return d.join(a, call);
    case "leave":
      return d.leave(a, call);
    case "createSandbox":
    case "deleteSandbox":
      throw new NetledgerError("Internal", `${op} is a sandbox operation, not a network driver's`);
  }
}

async function invokeSandbox(d: SandboxDriver, op: EffectOp, a: never, call: EffectCall): Promise<unknown> {
  switch (op) {
    case "createSandbox":
      return d.createSandbox(a, call);
    case "deleteSandbox":
      return d.deleteSandbox(a, call);
    default:
      throw new NetledgerError("Internal", `${op} is not a sandbox operation`);
  }
}

/** Codes a driver may answer with, kept as they are; anything else it throws is a DriverError. */
const driverCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "NotFound",
  "Forbidden",
  "InvalidParameter",
  "Conflict",
  "PluginUnavailable",
  "Timeout",
  "BadResponse",
  "InDoubt",
  "DriverError",
]);

/** What a driver threw, classified, with a message that names the driver and the call. */
export function driverFailure(e: unknown, driver: string, op: string): NetledgerError {
  const prefix = `driver ${driver}: ${op}: `;
  if (isNetledgerError(e)) {
    if (e.message.startsWith(prefix)) return e;
    return new NetledgerError(driverCodes.has(e.code) ? e.code : "DriverError", prefix + e.message, e.details);
  }
  const message = e instanceof Error ? e.message : typeof e === "string" ? e : `threw ${describe(e)}`;
  return new NetledgerError("DriverError", prefix + (message || "failed without a message"));
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
