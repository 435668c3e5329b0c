import { z } from "zod";
import type { CallOptions, NetledgerApi } from "../api/contract.js";
import { invalid } from "../domain/errors.js";
import { issuesText } from "../domain/schemaIssues.js";

/**
 * What a route of the REST API is, and how one is made so that its handler gets a body and a query
 * already parsed by the route's own zod schemas: the schemas the OpenAPI document is generated from.
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
export function route<B extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined>(def: RouteDef<B, Q>): Route {
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
        if (!b.success) throw invalid(`invalid ${bodyIs ?? "request body"}: ${issuesText(b.error)}`);
        parsedBody = b.data;
      }
      // The schemas' outputs are the handler's types (RouteDef ties them); the parsed values are those outputs.
      return handle(api, { params: r.params, call: r.call, signal: r.signal, body: parsedBody as Output<B>, query: parsedQuery as Output<Q> });
    },
  };
}

/** A seq bound; bounds are inclusive. Empty is absent. */
export const seqQuery = (description: string) =>
  z
    .string()
    .regex(/^\d*$/, { error: (i) => `takes a seq (a whole number), not "${String(i.input)}"` })
    .transform((v) => (v === "" ? undefined : Number(v)))
    .optional()
    .describe(description);

/** A point in the log: a seq, or a time (the last event at or before it). Empty is absent. */
export const pointQuery = (description: string) =>
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
export const flagQuery = (description: string) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", ""], { error: (i) => `takes 1 or 0, not "${String(i.input)}"` })
    .transform((v) => yes.includes(v))
    .optional()
    .describe(description);

export const textQuery = (description: string) => z.string().optional().describe(description);

export const forceQuery = z.object({
  force: flagQuery("1: remove what stands in the way first (endpoints of a network; a joined endpoint leaves first)"),
});
