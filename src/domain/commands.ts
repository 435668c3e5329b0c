import { z } from "zod";
import { extraHostSchema, ipamConfigSchema, portBindingSchema } from "./events.js";
import { idPattern } from "./ids.js";
import { givenAddressSchema, macSchema } from "./inputs.js";

/**
 * Commands: what a caller asks for, validated with zod before anything is written. Entity references
 * (`network`, `endpoint`, `sandbox`) are names, ids or id prefixes, resolved by decide() against the
 * state inside the write transaction. Create commands carry the new id; the controller draws it.
 */
const ref = z.string().min(1, "must not be empty");
const id = z.string().regex(idPattern, "must be 64 hex characters");
const strMap = z.record(z.string(), z.string());
const attemptNo = z.number().int().min(1);

export const commandSchemas = {
  "driver.configure": z.object({
    type: z.literal("driver.configure"),
    driver: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
  }),
  "network.create": z.object({
    type: z.literal("network.create"),
    id,
    name: z.string(),
    driver: z.string().min(1).default("bridge"),
    ipam: z
      .object({
        driver: z.string().min(1).optional(),
        config: z.array(ipamConfigSchema).default([]),
        options: strMap.default({}),
      })
      .default({ config: [], options: {} }),
    ipv6: z.boolean().default(false),
    internal: z.boolean().default(false),
    options: strMap.default({}),
    labels: strMap.default({}),
  }),
  "network.delete": z.object({ type: z.literal("network.delete"), network: ref, force: z.boolean().default(false) }),
  "endpoint.create": z.object({
    type: z.literal("endpoint.create"),
    id,
    network: ref,
    name: z.string(),
    ip: givenAddressSchema.optional(),
    ip6: givenAddressSchema.optional(),
    mac: macSchema.optional(),
    ports: z.array(portBindingSchema).default([]),
    aliases: z.array(z.string()).default([]),
    /** The interface's name in the sandbox (a CNI runtime's CNI_IFNAME); absent, the driver picks eth0, eth1… */
    ifname: z.string().optional(),
    /** Docker's `--driver-opt`: options for the network's driver, sent in CreateEndpoint's Options. */
    driverOpts: strMap.optional(),
  }),
  "endpoint.delete": z.object({
    type: z.literal("endpoint.delete"),
    network: ref,
    endpoint: ref,
    force: z.boolean().default(false),
  }),
  "endpoint.join": z.object({ type: z.literal("endpoint.join"), network: ref, endpoint: ref, sandbox: ref }),
  "endpoint.leave": z.object({ type: z.literal("endpoint.leave"), network: ref, endpoint: ref, sandbox: ref }),
  "network.connect": z.object({
    type: z.literal("network.connect"),
    id,
    network: ref,
    sandbox: ref,
    ip: givenAddressSchema.optional(),
    ip6: givenAddressSchema.optional(),
    mac: macSchema.optional(),
    ports: z.array(portBindingSchema).default([]),
    aliases: z.array(z.string()).default([]),
    ifname: z.string().optional(),
    driverOpts: strMap.optional(),
  }),
  "network.disconnect": z.object({
    type: z.literal("network.disconnect"),
    network: ref,
    sandbox: ref,
    force: z.boolean().default(false),
  }),
  "sandbox.create": z.object({
    type: z.literal("sandbox.create"),
    id,
    containerId: z.string(),
    hostname: z.string().default(""),
    domainname: z.string().default(""),
    dns: z.array(z.string()).default([]),
    extraHosts: z.array(extraHostSchema).default([]),
    /** An existing namespace to use; null for the host's; absent to have one made. */
    netns: z.string().nullable().optional(),
  }),
  "sandbox.delete": z.object({ type: z.literal("sandbox.delete"), sandbox: ref, force: z.boolean().default(false) }),
  /**
   * After a reboot (a new boot id): networks of these drivers are programmed again, and the sandboxes
   * whose namespace is gone are removed with their endpoints. The controller finds which namespaces
   * are gone (Controller.reprogram); decide() only plans.
   */
  "kernel.reprogram": z.object({
    type: z.literal("kernel.reprogram"),
    drivers: z.array(z.string()).default([]),
    goneSandboxes: z.array(id).default([]),
  }),
  /**
   * Internal: the outcome of a driver call, fed back by the effect dispatcher. `attempt` is the number
   * of the attempt that made the call (a fencing token): an outcome of an attempt that another has
   * superseded since is refused, so a late answer never overwrites a newer one.
   */
  "effect.outcome": z.discriminatedUnion("ok", [
    z.object({ type: z.literal("effect.outcome"), effect: z.number().int(), attempt: attemptNo, ok: z.literal(true), result: z.unknown() }),
    z.object({
      type: z.literal("effect.outcome"),
      effect: z.number().int(),
      attempt: attemptNo,
      ok: z.literal(false),
      error: z.object({ code: z.string(), message: z.string() }),
    }),
  ]),
  /**
   * Internal: this process takes over an open effect whose process is gone. `seen` is how many attempts
   * the caller saw: when two processes race to take the same effect over, the second is refused.
   */
  "effect.retry": z.object({ type: z.literal("effect.retry"), effect: z.number().int(), seen: attemptNo }),
  /** Internal: an attempt that sent nothing, because its driver could not be reached. */
  "effect.unsent": z.object({
    type: z.literal("effect.unsent"),
    effect: z.number().int(),
    attempt: attemptNo,
    error: z.object({ code: z.string(), message: z.string() }),
  }),
  /** Internal: record the kernel boot id when it differs from the one the log last saw. */
  /** A new kernel boot id; what the reboot took from the kernel is re-programmed in the same decision (kernel.reprogram). */
  "host.boot": z.object({
    type: z.literal("host.boot"),
    drivers: z.array(z.string()).default([]),
    goneSandboxes: z.array(id).default([]),
  }),
} as const;

export type CommandType = keyof typeof commandSchemas;
export type Command = { [T in CommandType]: z.output<(typeof commandSchemas)[T]> }[CommandType];
/** A command as callers give it: a create's `id` may be left out, and the controller draws one. */
export type CommandInput = {
  [T in CommandType]: z.input<(typeof commandSchemas)[T]> extends infer I ? (I extends { id: string } ? Omit<I, "id"> & { id?: string } : I) : never;
}[CommandType];
export type CommandOf<T extends CommandType> = z.output<(typeof commandSchemas)[T]>;
