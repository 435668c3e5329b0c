import { z } from "zod";
import {
  bodySchemas,
  disconnectedSchema,
  driverViewSchema,
  endpointViewSchema,
  errorSchema,
  eventSchema,
  headSchema,
  healthSchema,
  networkViewSchema,
  recoveryReportSchema,
  removedSchema,
  sandboxViewSchema,
  snapshotSchema,
  stateViewSchema,
  verifyReportSchema,
} from "../api/schemas.js";
import { version } from "../api/version.js";
import { type Route, routes } from "./routes.js";

/**
 * The OpenAPI 3.1 document of the daemon, generated from the route table and the zod schemas (whose
 * JSON Schema 2020-12 form OpenAPI 3.1 takes as it is). A test checks that the served document is this
 * one and that docs/openapi.json, the copy kept for readers and reviews, is up to date.
 */

type JsonSchema = Record<string, unknown>;

const outputs = new Map<z.ZodType, string>([
  [networkViewSchema, "Network"],
  [endpointViewSchema, "Endpoint"],
  [sandboxViewSchema, "Sandbox"],
  [stateViewSchema, "State"],
  [eventSchema, "Event"],
  [headSchema, "Head"],
  [verifyReportSchema, "VerifyReport"],
  [recoveryReportSchema, "RecoveryReport"],
  [driverViewSchema, "Driver"],
  [removedSchema, "Removed"],
  [disconnectedSchema, "Disconnected"],
  [snapshotSchema, "Snapshot"],
  [healthSchema, "Health"],
  [errorSchema, "Error"],
]);

const inputs = new Map<z.ZodType, string>([
  [bodySchemas.networkCreate, "NetworkCreate"],
  [bodySchemas.endpointCreate, "EndpointCreate"],
  [bodySchemas.connect, "Connect"],
  [bodySchemas.disconnect, "Disconnect"],
  [bodySchemas.join, "Join"],
  [bodySchemas.sandboxCreate, "SandboxCreate"],
  [bodySchemas.verify, "Verify"],
]);

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** A reference to a named schema, an array of one, or the schema inline. */
function schemaRef(schema: z.ZodType, names: Map<z.ZodType, string>, io: "input" | "output"): JsonSchema {
  const name = names.get(schema);
  if (name) return { $ref: `#/components/schemas/${name}` };
  if (schema instanceof z.ZodArray) {
    const item = names.get(schema.element as z.ZodType);
    if (item) return { type: "array", items: { $ref: `#/components/schemas/${item}` } };
  }
  return jsonSchema(schema, io);
}

const errorResponse = {
  description:
    'an error: 400 bad input, 404 not found, 409 refused by the state, 413 body over 1 MiB, 415 not JSON, 503 a plugin or the daemon unavailable, 504 timeout, 500 otherwise',
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};

function operation(r: Route): JsonSchema {
  const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    description: "a name, an id or a unique id prefix",
    schema: { type: "string" },
  }));
  const queryParams = Object.entries(r.query?.shape ?? {}).map(([name, schema]) => {
    const { description, ...rest } = jsonSchema(schema, "input");
    return { name, in: "query", required: false, description, schema: rest };
  });
  const headerParams = ["POST", "DELETE"].includes(r.method)
    ? [
        {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description: "the request id: repeating it returns the first result and appends nothing",
          schema: { type: "string" },
        },
        {
          name: "Netledger-Actor",
          in: "header",
          required: false,
          description: "who is acting, for the audit trail (percent-encoded)",
          schema: { type: "string" },
        },
        {
          name: "Netledger-Labels",
          in: "header",
          required: false,
          description: "the caller's labels for the events' metadata: a JSON object of strings (percent-encoded)",
          schema: { type: "string" },
        },
      ]
    : [];
  const ok = r.stream
    ? { "application/x-ndjson": { schema: schemaRef(r.response, outputs, "output") } }
    : { "application/json": { schema: schemaRef(r.response, outputs, "output") } };
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(pathParams.length + queryParams.length + headerParams.length > 0
      ? { parameters: [...pathParams, ...queryParams, ...headerParams] }
      : {}),
    ...(r.body
      ? { requestBody: { required: false, content: { "application/json": { schema: schemaRef(r.body, inputs, "input") } } } }
      : {}),
    responses: {
      [String(r.status ?? 200)]: { description: r.stream ? "JSON lines, one event per line" : "done", content: ok },
      default: errorResponse,
    },
  };
}

export const openApiRoute: Route = {
  method: "GET",
  path: "/openapi.json",
  operationId: "openapi",
  summary: "this document",
  response: z.record(z.string(), z.unknown()),
  handle: async () => openApiDocument(),
};

let memo: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  if (memo) return memo;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of [...routes, openApiRoute]) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  const schemas: Record<string, JsonSchema> = {};
  for (const [s, name] of outputs) schemas[name] = jsonSchema(s, "output");
  for (const [s, name] of inputs) schemas[name] = jsonSchema(s, "input");
  memo = {
    openapi: "3.1.0",
    info: {
      title: "netledger",
      version,
      description:
        "The REST API of `netledger serve`: libnetwork's Container Network Model on a durable event log. " +
        "Served on a UNIX socket (and optionally HTTPS with client certificates). Errors are " +
        '{"error":{"code","message"}}.',
    },
    paths,
    components: { schemas },
  };
  return memo;
}
