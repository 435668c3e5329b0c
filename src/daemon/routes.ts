import { z } from "zod";
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
import { clusterRoutes } from "./clusterRoutes.js";
import { flagQuery, forceQuery, pointQuery, type Route, route, seqQuery, textQuery } from "./route.js";

export type { Route } from "./route.js";

/**
 * The REST API of interface.md §4, modelled on libnetwork's api package: one row per route, giving
 * what the server needs to dispatch it and what the OpenAPI document says about it. Each handler is
 * one call of the NetledgerApi, so the daemon answers exactly what the library would.
 */

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
  // The cluster read side (its own file: src/daemon/clusterRoutes.ts).
  ...clusterRoutes,
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
