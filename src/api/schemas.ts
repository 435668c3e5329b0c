import { z } from "zod";
import { commandSchemas } from "../domain/commands.js";
import { eventSchemas, extraHostSchema, ipamConfigSchema, metaSchema } from "../domain/events.js";
import { endpointStates } from "../domain/machines/endpoint.js";
import { networkStates } from "../domain/machines/network.js";
import { sandboxStates } from "../domain/machines/sandbox.js";
import type { EndpointView, EffectView, NetworkView, SandboxView, StateView } from "../domain/views.js";
import type { RecoveryReport } from "../controller/controller.js";
import type { VerifyReport } from "../controller/verify.js";
import type { DriverView, Health } from "./contract.js";

/**
 * The API's request and response shapes as zod schemas: request bodies are the library's command
 * schemas (src/domain/commands.ts) less what the route already says, so the daemon validates exactly
 * what the library does; the OpenAPI document is generated from these.
 */

const optionalId = commandSchemas["network.create"].shape.id.optional();

export const bodySchemas = {
  networkCreate: commandSchemas["network.create"].omit({ type: true }).extend({ id: optionalId }),
  endpointCreate: commandSchemas["endpoint.create"].omit({ type: true, network: true }).extend({ id: optionalId }),
  connect: commandSchemas["network.connect"].omit({ type: true, network: true }).extend({ id: optionalId }),
  disconnect: commandSchemas["network.disconnect"].omit({ type: true, network: true }),
  join: commandSchemas["endpoint.join"].pick({ sandbox: true }),
  sandboxCreate: commandSchemas["sandbox.create"].omit({ type: true }).extend({ id: optionalId }),
  verify: z.object({ expectHead: z.string().optional() }),
} as const;

const scope = z.enum(["local", "global"]);

export const networkViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.string(),
  scope,
  ipam: z.object({
    driver: z.string(),
    config: z.array(ipamConfigSchema),
    options: z.record(z.string(), z.string()),
    pools: z.array(
      z.object({
        id: z.string(),
        addressSpace: z.string(),
        subnet: z.string(),
        ipRange: z.string().nullable(),
        allocated: z.number().int(),
        free: z.union([z.number(), z.string()]),
      }),
    ),
  }),
  ipv6: z.boolean(),
  internal: z.boolean(),
  options: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  endpoints: z.array(z.string()),
  state: z.enum(networkStates),
  createdAt: z.string(),
});

/** An endpoint as recorded (endpoint.created), where it is joined, and its lifecycle. */
export const endpointViewSchema = eventSchemas["endpoint.created"]
  .pick({ id: true, name: true, network: true, ipv4: true, ipv6: true, mac: true, gateway: true, gateway6: true, ports: true, aliases: true, driverOpts: true })
  .extend({
    sandbox: z.string().nullable(),
    interface: z.object({ name: z.string(), host: z.string().nullable() }).optional(),
    state: z.enum(endpointStates),
    createdAt: z.string(),
    node: z.string().nullable().optional(),
  });

export const sandboxViewSchema = z.object({
  id: z.string(),
  containerId: z.string(),
  key: z.string().nullable(),
  hostname: z.string(),
  domainname: z.string(),
  dns: z.array(z.string()),
  extraHosts: z.array(extraHostSchema),
  endpoints: z.array(z.string()),
  state: z.enum(sandboxStates),
  createdAt: z.string(),
});

const effectViewSchema = z.object({
  id: z.number().int(),
  driver: z.string(),
  op: z.string(),
  resource: z.string(),
  root: z.string(),
  attempts: z.number().int(),
  requestedAt: z.string(),
});

export const stateViewSchema = z.object({
  seq: z.number().int(),
  networks: z.array(networkViewSchema),
  endpoints: z.array(endpointViewSchema),
  sandboxes: z.array(sandboxViewSchema),
  effects: z.object({ pending: z.array(effectViewSchema), inDoubt: z.array(effectViewSchema) }),
});

export const headSchema = z.object({ seq: z.number().int(), hash: z.string() });

/** One line of `GET /events`: an event as `log --json` prints it. */
export const eventSchema = z.object({
  seq: z.number().int(),
  type: z.string(),
  stream: z.string(),
  version: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  meta: metaSchema,
  hash: z.string(),
});

export const verifyReportSchema = z.object({
  ok: z.boolean(),
  head: headSchema,
  events: z.number().int(),
  snapshots: z.number().int(),
  stateHash: z.string().nullable(),
  firstBad: z.number().int().nullable(),
  problems: z.array(z.object({ seq: z.number().int(), kind: z.enum(["gap", "hash", "genesis", "replay", "snapshot", "head", "integrity", "request", "keys", "cluster"]), message: z.string() })),
  suspectedLeaks: z.array(eventSchemas["ipam.leak.suspected"].extend({ seq: z.number().int(), time: z.string() })),
});

const recoveredEffectSchema = z.object({
  effect: z.number().int(),
  op: z.string(),
  driver: z.string(),
  resource: z.string(),
  attempts: z.number().int(),
  outcome: z.enum(["succeeded", "failed", "pending"]),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const recoveryReportSchema = z.object({
  boot: z.object({ previous: z.string(), current: z.string() }).nullable(),
  resolved: z.array(recoveredEffectSchema),
  left: z.array(recoveredEffectSchema.extend({ pid: z.number().int() })),
  projectionErrors: z.array(z.string()).optional(),
});

export const driverViewSchema = z.object({ name: z.string(), scope, connectivityScope: scope, origin: z.string() });
export const removedSchema = z.object({ removed: z.string().nullable() });
export const disconnectedSchema = z.object({ endpoint: z.string().nullable() });
export const snapshotSchema = z.object({ seq: z.number().int(), stateHash: z.string() });
export const healthSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
  pid: z.number().int(),
  db: z.string(),
  head: headSchema,
  stats: z.object({ commits: z.number().int(), commands: z.number().int() }),
});
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

// The schemas above describe the library's view types: a change to one without the other fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <T extends true>(_: T) => {};
agree<Same<z.output<typeof networkViewSchema>, NetworkView>>(true);
agree<Same<z.output<typeof endpointViewSchema>, EndpointView>>(true);
agree<Same<z.output<typeof sandboxViewSchema>, SandboxView>>(true);
agree<Same<z.output<typeof effectViewSchema>, EffectView>>(true);
agree<Same<z.output<typeof stateViewSchema>, StateView>>(true);
agree<Same<z.output<typeof verifyReportSchema>, VerifyReport>>(true);
agree<Same<z.output<typeof recoveryReportSchema>, RecoveryReport>>(true);
agree<Same<z.output<typeof driverViewSchema>, DriverView>>(true);
agree<Same<z.output<typeof healthSchema>, Health>>(true);
