import { z } from "zod";
import type { CallOptions, NetledgerApi } from "../api/contract.js";
import {
  bodySchemas,
  disconnectedSchema,
  driverViewSchema,
  endpointViewSchema,
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
import { invalid } from "../domain/errors.js";

/**
 * The REST API of interface.md §4, modelled on libnetwork's api package: one row per route, giving
 * what the server needs to dispatch it and what the OpenAPI document says about it. Each handler is
 * one call of the NetledgerApi, so the daemon answers exactly what the library would.
 */

/** A request as the server hands it over: path parameters, the raw query string and JSON body. */
export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  call: CallOptions;
  /** Aborts when the client goes away or the daemon stops (for streams). */
  signal: AbortSignal;
}

export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** With `{name}` for a path parameter. */
  path: string;
  operationId: string;
  summary: string;
  /** The JSON body it takes (unknown fields are refused). */
  body?: z.ZodObject;
  /** Its query parameters, each with its description: what parses them is what the OpenAPI document shows. */
  query?: z.ZodObject;
  response: z.ZodType;
  /** The answer is JSON lines of `response`, streamed. */
  stream?: boolean;
  /** 200 unless said. */
  status?: number;
  handle: (api: NetledgerApi, r: RouteRequest) => Promise<unknown> | AsyncIterable<unknown>;
}

type Output<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** A request once its body and query have been parsed by the route's schemas. */
interface Parsed<B, Q> {
  params: Record<string, string>;
  body: B;
  query: Q;
  call: CallOptions;
  signal: AbortSignal;
}

interface RouteDef<B extends z.ZodObject | undefined, Q extends z.ZodObject | undefined> extends Omit<Route, "body" | "query" | "handle"> {
  body?: B;
  /** What a bad body is called in the error, as the library calls it: `network.create command`. */
  bodyIs?: string;
  query?: Q;
  handle: (api: NetledgerApi, r: Parsed<Output<B>, Output<Q>>) => Promise<unknown> | AsyncIterable<unknown>;
}

const issueText = (i: z.core.$ZodIssue) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`;

/** The query string as one value a name (the first, as URLSearchParams.get reads it). */
function queryRecord(q: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of q) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

/**
 * A route whose handler gets its body and query parsed by the route's own schemas: a bad body is
 * refused as the library refuses the command (`invalid network.create command: name: …`), a bad
 * query parameter as `query parameter force takes 1 or 0, not "maybe"`.
 */
function route<B extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined>(def: RouteDef<B, Q>): Route {
  const { body, bodyIs, query, handle, ...rest } = def;
  return {
    ...rest,
    ...(body ? { body } : {}),
    ...(query ? { query } : {}),
    handle: (api, r) => {
      let parsedQuery: unknown = {};
      if (query) {
        const q = query.safeParse(queryRecord(r.query));
        if (!q.success) throw invalid(q.error.issues.map((i) => `query parameter ${i.path.join(".")} ${i.message}`).join("; "));
        parsedQuery = q.data;
      }
      let parsedBody: unknown = {};
      if (body) {
        const b = body.safeParse(r.body);
        if (!b.success) throw invalid(`invalid ${bodyIs ?? "request body"}: ${b.error.issues.map(issueText).join("; ")}`);
        parsedBody = b.data;
      }
      // The schemas' outputs are the handler's types (RouteDef ties them); the parsed values are those outputs.
      return handle(api, { params: r.params, call: r.call, signal: r.signal, body: parsedBody as Output<B>, query: parsedQuery as Output<Q> });
    },
  };
}

/** A seq bound; bounds are inclusive. Empty is absent. */
const seqQuery = (description: string) =>
  z
    .string()
    .regex(/^\d*$/, { error: (i) => `takes a seq (a whole number), not "${String(i.input)}"` })
    .transform((v) => (v === "" ? undefined : Number(v)))
    .optional()
    .describe(description);

/** A point in the log: a seq, or a time (the last event at or before it). Empty is absent. */
const pointQuery = (description: string) =>
  z
    .string()
    .transform((v, ctx): number | Date | undefined => {
      if (v === "") return undefined;
      if (/^\d+$/.test(v)) return Number(v);
      const t = new Date(v);
      if (!Number.isNaN(t.getTime())) return t;
      ctx.issues.push({ code: "custom", input: v, message: `takes a seq or an ISO 8601 time, not "${v}"` });
      return z.NEVER;
    })
    .optional()
    .describe(description);

const yes = ["1", "true", "yes", ""];
/** A flag: 1 or 0 (true/false, yes/no; present without a value is 1). Absent is 0. */
const flagQuery = (description: string) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", ""], { error: (i) => `takes 1 or 0, not "${String(i.input)}"` })
    .transform((v) => yes.includes(v))
    .optional()
    .describe(description);

const textQuery = (description: string) => z.string().optional().describe(description);

const forceQuery = z.object({
  force: flagQuery("1: remove what stands in the way first (endpoints of a network; a joined endpoint leaves first)"),
});

const p = (r: { params: Record<string, string> }, name: string) => r.params[name]!;

export const routes: Route[] = [
  route({
    method: "GET",
    path: "/networks",
    operationId: "listNetworks",
    summary: "list networks",
    response: z.array(networkViewSchema),
    handle: (api) => api.networks(),
  }),
  route({
    method: "POST",
    path: "/networks",
    operationId: "createNetwork",
    summary: "create a network (libnetwork's NewNetwork)",
    body: bodySchemas.networkCreate,
    bodyIs: "network.create command",
    response: networkViewSchema,
    status: 201,
    handle: (api, r) => api.createNetwork(r.body, r.call),
  }),
  route({
    method: "GET",
    path: "/networks/{network}",
    operationId: "inspectNetwork",
    summary: "a network by name, id or unique id prefix",
    response: networkViewSchema,
    handle: (api, r) => api.network(p(r, "network")),
  }),
  route({
    method: "DELETE",
    path: "/networks/{network}",
    operationId: "deleteNetwork",
    summary: "remove a network; refused while it has endpoints unless force=1",
    query: forceQuery,
    response: removedSchema,
    handle: (api, r) => api.deleteNetwork(p(r, "network"), r.query.force ?? false, r.call),
  }),
  route({
    method: "POST",
    path: "/networks/{network}/connect",
    operationId: "connect",
    summary: "connect a sandbox: an endpoint named after its container, created and joined",
    body: bodySchemas.connect,
    bodyIs: "network.connect command",
    response: endpointViewSchema,
    status: 201,
    handle: (api, r) => api.connect(p(r, "network"), r.body, r.call),
  }),
  route({
    method: "POST",
    path: "/networks/{network}/disconnect",
    operationId: "disconnect",
    summary: "disconnect a sandbox: its endpoint on the network leaves and is deleted",
    body: bodySchemas.disconnect,
    bodyIs: "network.disconnect command",
    response: disconnectedSchema,
    handle: (api, r) => api.disconnect(p(r, "network"), r.body, r.call),
  }),
  route({
    method: "GET",
    path: "/networks/{network}/endpoints",
    operationId: "listNetworkEndpoints",
    summary: "a network's endpoints",
    response: z.array(endpointViewSchema),
    handle: (api, r) => api.endpoints(p(r, "network")),
  }),
  route({
    method: "POST",
    path: "/networks/{network}/endpoints",
    operationId: "createEndpoint",
    summary: "create an endpoint on a network (libnetwork's CreateEndpoint)",
    body: bodySchemas.endpointCreate,
    bodyIs: "endpoint.create command",
    response: endpointViewSchema,
    status: 201,
    handle: (api, r) => api.createEndpoint(p(r, "network"), r.body, r.call),
  }),
  route({
    method: "GET",
    path: "/networks/{network}/endpoints/{endpoint}",
    operationId: "inspectEndpoint",
    summary: "an endpoint by name, id or unique id prefix",
    response: endpointViewSchema,
    handle: (api, r) => api.endpoint(p(r, "network"), p(r, "endpoint")),
  }),
  route({
    method: "DELETE",
    path: "/networks/{network}/endpoints/{endpoint}",
    operationId: "deleteEndpoint",
    summary: "delete an endpoint; a joined one is refused unless force=1",
    query: forceQuery,
    response: removedSchema,
    handle: (api, r) => api.deleteEndpoint(p(r, "network"), p(r, "endpoint"), r.query.force ?? false, r.call),
  }),
  route({
    method: "POST",
    path: "/networks/{network}/endpoints/{endpoint}/sandboxes",
    operationId: "join",
    summary: "join the endpoint to a sandbox",
    body: bodySchemas.join,
    bodyIs: "endpoint.join command",
    response: endpointViewSchema,
    handle: (api, r) => api.join(p(r, "network"), p(r, "endpoint"), r.body.sandbox, r.call),
  }),
  route({
    method: "DELETE",
    path: "/networks/{network}/endpoints/{endpoint}/sandboxes/{sandbox}",
    operationId: "leave",
    summary: "take the endpoint out of the sandbox",
    response: endpointViewSchema,
    handle: (api, r) => api.leave(p(r, "network"), p(r, "endpoint"), p(r, "sandbox"), r.call),
  }),
  route({
    method: "GET",
    path: "/endpoints",
    operationId: "listEndpoints",
    summary: "every endpoint, or one network's",
    query: z.object({ network: textQuery("only this network's (name or id)") }),
    response: z.array(endpointViewSchema),
    handle: (api, r) => api.endpoints(r.query.network),
  }),
  route({
    method: "GET",
    path: "/sandboxes",
    operationId: "listSandboxes",
    summary: "list sandboxes",
    response: z.array(sandboxViewSchema),
    handle: (api) => api.sandboxes(),
  }),
  route({
    method: "POST",
    path: "/sandboxes",
    operationId: "createSandbox",
    summary: "create a sandbox for a container (libnetwork's NewSandbox)",
    body: bodySchemas.sandboxCreate,
    bodyIs: "sandbox.create command",
    response: sandboxViewSchema,
    status: 201,
    handle: (api, r) => api.createSandbox(r.body, r.call),
  }),
  route({
    method: "GET",
    path: "/sandboxes/{sandbox}",
    operationId: "inspectSandbox",
    summary: "a sandbox by id, container id or unique id prefix",
    response: sandboxViewSchema,
    handle: (api, r) => api.sandbox(p(r, "sandbox")),
  }),
  route({
    method: "DELETE",
    path: "/sandboxes/{sandbox}",
    operationId: "deleteSandbox",
    summary: "delete a sandbox: its endpoints leave and are deleted, then its namespace goes",
    query: forceQuery,
    response: removedSchema,
    handle: (api, r) => api.deleteSandbox(p(r, "sandbox"), r.query.force ?? false, r.call),
  }),
  route({
    method: "GET",
    path: "/events",
    operationId: "events",
    summary: "the log as JSON lines, in seq order; with follow=1 the stream stays open for new events",
    query: z.object({
      since: seqQuery("from this seq (inclusive)"),
      until: seqQuery("up to this seq (inclusive)"),
      stream: textQuery("only this entity's events (name, container id or id)"),
      type: textQuery("only this event type, or a family such as `endpoint`"),
      actor: textQuery("only this actor's events"),
      follow: flagQuery("1: keep the stream open and send events as they are appended"),
    }),
    response: eventSchema,
    stream: true,
    handle: (api, r) => {
      const { since, until, stream, type, actor, follow } = r.query;
      return api.events({
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(stream !== undefined ? { stream } : {}),
        ...(type !== undefined ? { type } : {}),
        ...(actor !== undefined ? { actor } : {}),
        follow: follow ?? false,
        signal: r.signal,
      });
    },
  }),
  route({
    method: "GET",
    path: "/state",
    operationId: "state",
    summary: "the whole state as of a seq or a time (default: now), as replay prints it",
    query: z.object({ until: pointQuery("a seq, or an ISO 8601 time") }),
    response: stateViewSchema,
    handle: (api, r) => api.state(r.query.until),
  }),
  route({
    method: "GET",
    path: "/head",
    operationId: "head",
    summary: "the current head: seq and hash (keep it elsewhere; POST /verify checks against it)",
    response: headSchema,
    handle: (api) => api.head(),
  }),
  route({
    method: "POST",
    path: "/verify",
    operationId: "verify",
    summary: "check the hash chain, replay everything, compare snapshots; ok is false naming the first bad seq",
    body: bodySchemas.verify,
    bodyIs: "verify request",
    response: verifyReportSchema,
    handle: (api, r) => api.verify(r.body.expectHead !== undefined ? { expectHead: r.body.expectHead } : {}),
  }),
  route({
    method: "POST",
    path: "/recover",
    operationId: "recover",
    summary: "resolve in-doubt and pending effects now, and list what was done",
    response: recoveryReportSchema,
    handle: (api) => api.recover(),
  }),
  route({
    method: "POST",
    path: "/snapshot",
    operationId: "snapshot",
    summary: "write a snapshot of the current state",
    response: snapshotSchema,
    handle: (api) => api.snapshot(),
  }),
  route({
    method: "GET",
    path: "/drivers",
    operationId: "drivers",
    summary: "registered network drivers, built-in and plugin",
    response: z.array(driverViewSchema),
    handle: (api) => api.drivers(),
  }),
  route({
    method: "GET",
    path: "/health",
    operationId: "health",
    summary: "the daemon answers: its version, pid, database and head",
    response: healthSchema,
    handle: (api) => api.health(),
  }),
];

export interface Match {
  route: Route;
  params: Record<string, string>;
}

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** Matches request paths against the route table; says which methods a known path allows. */
export class Router {
  private readonly compiled: Compiled[];

  constructor(table: readonly Route[]) {
    this.compiled = table.map((route) => {
      const names: string[] = [];
      const source = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
      return { route, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  match(method: string, path: string): Match | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const c of this.compiled) {
      const m = c.pattern.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw invalid(`path segment "${m[i + 1]}" is not valid percent-encoding`);
        }
      });
      return { route: c.route, params };
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}
