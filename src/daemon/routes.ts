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

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  call: CallOptions;
  /** Aborts when the client goes away or the daemon stops (for streams). */
  signal: AbortSignal;
}

export interface QueryParam {
  name: string;
  description: string;
  schema: z.ZodType;
}

export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** With `{name}` for a path parameter. */
  path: string;
  operationId: string;
  summary: string;
  /** The JSON body it takes (unknown fields are refused). */
  body?: z.ZodObject;
  query?: QueryParam[];
  response: z.ZodType;
  /** The answer is JSON lines of `response`, streamed. */
  stream?: boolean;
  /** 200 unless said. */
  status?: number;
  handle: (api: NetledgerApi, r: RouteRequest) => Promise<unknown> | AsyncIterable<unknown>;
}

const seqText = z.string().regex(/^\d+$/);

/** A seq bound from the query string; bounds are inclusive. */
function seqParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw invalid(`query parameter ${name} takes a seq (a whole number), not "${v}"`);
  return Number(v);
}

/** A point in the log: a seq, or a time (the last event at or before it). */
function pointParam(q: URLSearchParams, name: string): number | Date | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw invalid(`query parameter ${name} takes a seq or an ISO 8601 time, not "${v}"`);
  return t;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (["", "1", "true", "yes"].includes(v)) return true;
  if (["0", "false", "no"].includes(v)) return false;
  throw invalid(`query parameter ${name} takes 1 or 0, not "${v}"`);
}

const str = (q: URLSearchParams, name: string) => q.get(name) ?? undefined;
const forceParam: QueryParam = {
  name: "force",
  description: "1: remove what stands in the way first (endpoints of a network; a joined endpoint leaves first)",
  schema: z.enum(["1", "0", "true", "false"]),
};

const p = (r: RouteRequest, name: string) => r.params[name]!;

export const routes: Route[] = [
  {
    method: "GET",
    path: "/networks",
    operationId: "listNetworks",
    summary: "list networks",
    response: z.array(networkViewSchema),
    handle: (api) => api.networks(),
  },
  {
    method: "POST",
    path: "/networks",
    operationId: "createNetwork",
    summary: "create a network (libnetwork's NewNetwork)",
    body: bodySchemas.networkCreate,
    response: networkViewSchema,
    status: 201,
    handle: (api, r) => api.createNetwork(r.body as never, r.call),
  },
  {
    method: "GET",
    path: "/networks/{network}",
    operationId: "inspectNetwork",
    summary: "a network by name, id or unique id prefix",
    response: networkViewSchema,
    handle: (api, r) => api.network(p(r, "network")),
  },
  {
    method: "DELETE",
    path: "/networks/{network}",
    operationId: "deleteNetwork",
    summary: "remove a network; refused while it has endpoints unless force=1",
    query: [forceParam],
    response: removedSchema,
    handle: (api, r) => api.deleteNetwork(p(r, "network"), flag(r.query, "force"), r.call),
  },
  {
    method: "POST",
    path: "/networks/{network}/connect",
    operationId: "connect",
    summary: "connect a sandbox: an endpoint named after its container, created and joined",
    body: bodySchemas.connect,
    response: endpointViewSchema,
    status: 201,
    handle: (api, r) => api.connect(p(r, "network"), r.body as never, r.call),
  },
  {
    method: "POST",
    path: "/networks/{network}/disconnect",
    operationId: "disconnect",
    summary: "disconnect a sandbox: its endpoint on the network leaves and is deleted",
    body: bodySchemas.disconnect,
    response: disconnectedSchema,
    handle: (api, r) => api.disconnect(p(r, "network"), r.body as never, r.call),
  },
  {
    method: "GET",
    path: "/networks/{network}/endpoints",
    operationId: "listNetworkEndpoints",
    summary: "a network's endpoints",
    response: z.array(endpointViewSchema),
    handle: (api, r) => api.endpoints(p(r, "network")),
  },
  {
    method: "POST",
    path: "/networks/{network}/endpoints",
    operationId: "createEndpoint",
    summary: "create an endpoint on a network (libnetwork's CreateEndpoint)",
    body: bodySchemas.endpointCreate,
    response: endpointViewSchema,
    status: 201,
    handle: (api, r) => api.createEndpoint(p(r, "network"), r.body as never, r.call),
  },
  {
    method: "GET",
    path: "/networks/{network}/endpoints/{endpoint}",
    operationId: "inspectEndpoint",
    summary: "an endpoint by name, id or unique id prefix",
    response: endpointViewSchema,
    handle: (api, r) => api.endpoint(p(r, "network"), p(r, "endpoint")),
  },
  {
    method: "DELETE",
    path: "/networks/{network}/endpoints/{endpoint}",
    operationId: "deleteEndpoint",
    summary: "delete an endpoint; a joined one is refused unless force=1",
    query: [forceParam],
    response: removedSchema,
    handle: (api, r) => api.deleteEndpoint(p(r, "network"), p(r, "endpoint"), flag(r.query, "force"), r.call),
  },
  {
    method: "POST",
    path: "/networks/{network}/endpoints/{endpoint}/sandboxes",
    operationId: "join",
    summary: "join the endpoint to a sandbox",
    body: bodySchemas.join,
    response: endpointViewSchema,
    handle: (api, r) => api.join(p(r, "network"), p(r, "endpoint"), r.body["sandbox"] as string, r.call),
  },
  {
    method: "DELETE",
    path: "/networks/{network}/endpoints/{endpoint}/sandboxes/{sandbox}",
    operationId: "leave",
    summary: "take the endpoint out of the sandbox",
    response: endpointViewSchema,
    handle: (api, r) => api.leave(p(r, "network"), p(r, "endpoint"), p(r, "sandbox"), r.call),
  },
  {
    method: "GET",
    path: "/endpoints",
    operationId: "listEndpoints",
    summary: "every endpoint, or one network's",
    query: [{ name: "network", description: "only this network's (name or id)", schema: z.string() }],
    response: z.array(endpointViewSchema),
    handle: (api, r) => api.endpoints(str(r.query, "network")),
  },
  {
    method: "GET",
    path: "/sandboxes",
    operationId: "listSandboxes",
    summary: "list sandboxes",
    response: z.array(sandboxViewSchema),
    handle: (api) => api.sandboxes(),
  },
  {
    method: "POST",
    path: "/sandboxes",
    operationId: "createSandbox",
    summary: "create a sandbox for a container (libnetwork's NewSandbox)",
    body: bodySchemas.sandboxCreate,
    response: sandboxViewSchema,
    status: 201,
    handle: (api, r) => api.createSandbox(r.body as never, r.call),
  },
  {
    method: "GET",
    path: "/sandboxes/{sandbox}",
    operationId: "inspectSandbox",
    summary: "a sandbox by id, container id or unique id prefix",
    response: sandboxViewSchema,
    handle: (api, r) => api.sandbox(p(r, "sandbox")),
  },
  {
    method: "DELETE",
    path: "/sandboxes/{sandbox}",
    operationId: "deleteSandbox",
    summary: "delete a sandbox: its endpoints leave and are deleted, then its namespace goes",
    query: [forceParam],
    response: removedSchema,
    handle: (api, r) => api.deleteSandbox(p(r, "sandbox"), flag(r.query, "force"), r.call),
  },
  {
    method: "GET",
    path: "/events",
    operationId: "events",
    summary: "the log as JSON lines, in seq order; with follow=1 the stream stays open for new events",
    query: [
      { name: "since", description: "from this seq (inclusive)", schema: seqText },
      { name: "until", description: "up to this seq (inclusive)", schema: seqText },
      { name: "stream", description: "only this entity's events (name, container id or id)", schema: z.string() },
      { name: "type", description: "only this event type, or a family such as `endpoint`", schema: z.string() },
      { name: "actor", description: "only this actor's events", schema: z.string() },
      { name: "follow", description: "1: keep the stream open and send events as they are appended", schema: z.enum(["1", "0"]) },
    ],
    response: eventSchema,
    stream: true,
    handle: (api, r) => {
      const since = seqParam(r.query, "since");
      const until = seqParam(r.query, "until");
      const [stream, type, actor] = [str(r.query, "stream"), str(r.query, "type"), str(r.query, "actor")];
      return api.events({
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(stream !== undefined ? { stream } : {}),
        ...(type !== undefined ? { type } : {}),
        ...(actor !== undefined ? { actor } : {}),
        follow: flag(r.query, "follow"),
        signal: r.signal,
      });
    },
  },
  {
    method: "GET",
    path: "/state",
    operationId: "state",
    summary: "the whole state as of a seq or a time (default: now), as replay prints it",
    query: [{ name: "until", description: "a seq, or an ISO 8601 time", schema: z.string() }],
    response: stateViewSchema,
    handle: (api, r) => api.state(pointParam(r.query, "until")),
  },
  {
    method: "GET",
    path: "/head",
    operationId: "head",
    summary: "the current head: seq and hash (keep it elsewhere; POST /verify checks against it)",
    response: headSchema,
    handle: (api) => api.head(),
  },
  {
    method: "POST",
    path: "/verify",
    operationId: "verify",
    summary: "check the hash chain, replay everything, compare snapshots; ok is false naming the first bad seq",
    body: bodySchemas.verify,
    response: verifyReportSchema,
    handle: (api, r) => {
      const b = bodySchemas.verify.safeParse(r.body);
      if (!b.success) throw invalid(`invalid verify request: ${b.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      return api.verify(b.data.expectHead !== undefined ? { expectHead: b.data.expectHead } : {});
    },
  },
  {
    method: "POST",
    path: "/recover",
    operationId: "recover",
    summary: "resolve in-doubt and pending effects now, and list what was done",
    response: recoveryReportSchema,
    handle: (api) => api.recover(),
  },
  {
    method: "POST",
    path: "/snapshot",
    operationId: "snapshot",
    summary: "write a snapshot of the current state",
    response: snapshotSchema,
    handle: (api) => api.snapshot(),
  },
  {
    method: "GET",
    path: "/drivers",
    operationId: "drivers",
    summary: "registered network drivers, built-in and plugin",
    response: z.array(driverViewSchema),
    handle: (api) => api.drivers(),
  },
  {
    method: "GET",
    path: "/health",
    operationId: "health",
    summary: "the daemon answers: its version, pid, database and head",
    response: healthSchema,
    handle: (api) => api.health(),
  },
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
