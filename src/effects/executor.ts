import { sandboxDriver } from "../domain/decide/index.js";
import { checkAnswer } from "../domain/effects/answers.js";
import type { EffectOp, TypedEffect } from "../domain/effects/table.js";
import { asNetledgerError, type ErrorCode, isNetledgerError, NetledgerError } from "../domain/errors.js";
import type { EffectCall, JoinRequest, JoinResult, LeaveRequest, NetworkDriver, SandboxDriver } from "../drivers/contract.js";
import type { IpamDriver } from "../drivers/ipamContract.js";
import type { DriverRegistry } from "../drivers/registry.js";

/**
 * Makes one driver call for an effect (its own operation, or its undo: see undoEffect) and checks the
 * answer once, against the operation's result schema (domain/effects/answers.ts). Returns the answer as
 * it will be stored; throws a NetledgerError whose code classifies the failure:
 *
 * - network driver and sandbox layer: the message names the driver and the call (`driver X: join: …`);
 *   PluginUnavailable when the driver cannot be reached (the effect stays pending), BadResponse for a
 *   malformed answer, the driver's own class (NotFound, Forbidden, …) when it gave one, DriverError else;
 * - IPAM driver: PluginUnavailable likewise; a malformed answer or a refused request is the call's
 *   failure; a failed release is an answer, not a failure (libnetwork logs ReleasePool and
 *   ReleaseAddress errors and goes on, and so does netledger, keeping the error in the outcome).
 */
export async function execute(registry: DriverRegistry, driver: string, fx: TypedEffect, call: EffectCall): Promise<unknown> {
  switch (fx.op) {
    case "requestPool":
    case "releasePool":
    case "requestAddress":
    case "releaseAddress":
      return executeIpam(registry, driver, fx, call);
    default:
      try {
        return checkResult(fx.op, await callNetwork(registry, driver, fx, call));
      } catch (e) {
        throw driverFailure(e, driver, fx.op);
      }
  }
}

/** The network driver's or sandbox layer's call for an effect: one case per operation. */
async function callNetwork(registry: DriverRegistry, driver: string, fx: TypedEffect, call: EffectCall): Promise<unknown> {
  switch (fx.op) {
    case "createNetwork":
      return (await networkDriverOf(registry, driver)).createNetwork(fx.args, call);
    case "deleteNetwork":
      return (await networkDriverOf(registry, driver)).deleteNetwork(fx.args, call);
    case "createEndpoint":
      return (await networkDriverOf(registry, driver)).createEndpoint(fx.args, call);
    case "deleteEndpoint":
      return (await networkDriverOf(registry, driver)).deleteEndpoint(fx.args, call);
    case "join":
      return joinAndProgram(await networkDriverOf(registry, driver), fx.args, call);
    case "leave":
      return revokeAndLeave(await networkDriverOf(registry, driver), fx.args, call);
    case "createSandbox":
      return sandboxOf(registry, driver).createSandbox(fx.args, call);
    case "deleteSandbox":
      return sandboxOf(registry, driver).deleteSandbox(fx.args, call);
    case "requestPool":
    case "releasePool":
    case "requestAddress":
    case "releaseAddress":
      throw new NetledgerError("Internal", `${fx.op} is an IPAM driver's operation`);
  }
}

/**
 * The join effect (libnetwork's sandbox join): Join, then ProgramExternalConnectivity unless the
 * network is internal. When programming fails the join is left again and fails.
 */
export async function joinAndProgram(d: NetworkDriver, req: JoinRequest, call: EffectCall): Promise<JoinResult> {
  const result = await d.join(req, call);
  if (d.programExternalConnectivity && !req.network?.internal) {
    try {
      await d.programExternalConnectivity({ networkId: req.networkId, endpointId: req.endpointId, options: req.options }, call);
    } catch (e) {
      await d.leave({ ...req, joinInfo: null }, call).catch(() => undefined);
      throw new NetledgerError(
        "DriverError",
        `driver failed programming external connectivity on endpoint ${req.endpointId}: ${asNetledgerError(e).message}; left again`,
      );
    }
  }
  return result;
}

/** The leave effect: RevokeExternalConnectivity unless the network is internal, then Leave. Also a Join's undo. */
export async function revokeAndLeave(d: NetworkDriver, req: LeaveRequest, call: EffectCall): Promise<void> {
  if (d.revokeExternalConnectivity && !req.network?.internal)
    await d.revokeExternalConnectivity({ networkId: req.networkId, endpointId: req.endpointId }, call);
  await d.leave(req, call);
}

/** The answer of a network driver's or the sandbox layer's call, as it will be stored; a malformed one is thrown as a BadResponse. */
export function checkResult(op: EffectOp, raw: unknown): unknown {
  const r = checkAnswer(op, raw);
  if (!r.ok) throw new NetledgerError(r.code, r.message);
  return r.result;
}

async function executeIpam(
  registry: DriverRegistry,
  driver: string,
  fx: Extract<TypedEffect, { op: "requestPool" | "releasePool" | "requestAddress" | "releaseAddress" }>,
  call: EffectCall,
): Promise<unknown> {
  const d = await ipamDriverOf(registry, driver);
  let raw: unknown;
  try {
    switch (fx.op) {
      case "requestPool":
        raw = await d.requestPool(fx.args.request, call);
        break;
      case "requestAddress":
        raw = await d.requestAddress(fx.args.request, call);
        break;
      case "releasePool":
        await d.releasePool(fx.args.request, call);
        return null;
      case "releaseAddress":
        // An in-doubt RequestAddress is undone by releasing what it asked for; with nothing asked, nothing to release.
        if (!fx.args.request.address) return null;
        await d.releaseAddress(fx.args.request, call);
        return null;
    }
  } catch (e) {
    const err = asNetledgerError(e, "DriverError");
    if (err.code === "PluginUnavailable") throw err;
    if (fx.op === "releasePool" || fx.op === "releaseAddress") return { ignoredError: { code: err.code, message: err.message } };
    if (err.code === "Internal") throw new NetledgerError("DriverError", `IPAM driver ${driver}: ${fx.op}: ${err.message}`);
    throw err;
  }
  const r = checkAnswer(fx.op, raw, fx);
  if (!r.ok) throw new NetledgerError(r.code, `IPAM driver ${driver}: ${r.message}`);
  return r.result;
}

function sandboxOf(registry: DriverRegistry, driver: string): SandboxDriver {
  const sb = driver === sandboxDriver ? registry.sandboxDriver() : undefined;
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

/** An IPAM driver by name; a plugin IPAM is registered lazily, on first use in this process (plugin discovery). */
async function ipamDriverOf(registry: DriverRegistry, name: string): Promise<IpamDriver> {
  const ipam = registry.ipam;
  if (!ipam.get(name)) {
    try {
      await ipam.ensure(name);
    } catch (e) {
      throw new NetledgerError("PluginUnavailable", `IPAM driver ${name}: plugin discovery failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const reg = ipam.get(name);
  if (!reg?.driver) throw new NetledgerError("PluginUnavailable", `IPAM driver ${name} is not available`);
  return reg.driver;
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
