import { describe, expect, it } from "vitest";
import type { NetledgerApi } from "../../../src/api/contract.js";
import { type Route, routes } from "../../../src/daemon/routes.js";

const routeOf = (method: string, path: string): Route => routes.find((r) => r.method === method && r.path === path)!;

/** An api that records the arguments of the one call a route makes. */
function recorder(): { api: NetledgerApi; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const api = new Proxy({} as NetledgerApi, {
    get: (_t, name) => (...args: unknown[]) => (calls.push([name, ...args]), Promise.resolve({})),
  });
  return { api, calls };
}

function run(route: Route, query: string, body: Record<string, unknown> = {}) {
  const { api, calls } = recorder();
  const params = { network: "n1", endpoint: "e1", sandbox: "s1" };
  void route.handle(api, { params, query: new URLSearchParams(query), body, call: {}, signal: new AbortController().signal });
  return calls[0];
}

describe("REST query parameters", () => {
  it("are parsed by the route's schema: seqs as numbers, flags as booleans, an empty seq as absent", () => {
    const events = routeOf("GET", "/events");
    const call = run(events, "since=3&until=&follow=1&type=endpoint") as [string, Record<string, unknown>];
    expect(call[0]).toBe("events");
    expect(call[1]).toMatchObject({ since: 3, type: "endpoint", follow: true });
    expect(call[1]).not.toHaveProperty("until");
    expect(run(routeOf("DELETE", "/networks/{network}"), "force=yes")).toEqual(["deleteNetwork", "n1", true, {}]);
    expect(run(routeOf("DELETE", "/networks/{network}"), "")).toEqual(["deleteNetwork", "n1", false, {}]);
    expect(run(routeOf("GET", "/state"), "until=2024-05-01T00:00:00Z")).toEqual(["state", new Date("2024-05-01T00:00:00Z")]);
  });

  it("are refused with the parameter's name and the value given", () => {
    expect(() => run(routeOf("GET", "/events"), "since=x")).toThrow('query parameter since takes a seq (a whole number), not "x"');
    expect(() => run(routeOf("DELETE", "/sandboxes/{sandbox}"), "force=maybe")).toThrow('query parameter force takes 1 or 0, not "maybe"');
    expect(() => run(routeOf("GET", "/state"), "until=soon")).toThrow('query parameter until takes a seq or an ISO 8601 time, not "soon"');
  });

  it("feed the OpenAPI document from the same schemas", () => {
    for (const r of routes) for (const name of Object.keys(r.query?.shape ?? {})) expect(r.query!.shape[name]!.description, `${r.path} ${name}`).toBeTruthy();
  });
});

describe("REST bodies", () => {
  it("reach the library parsed, and a bad one is refused as the library refuses the command", () => {
    expect(run(routeOf("POST", "/networks/{network}/endpoints/{endpoint}/sandboxes"), "", { sandbox: "s9" })).toEqual(["join", "n1", "e1", "s9", {}]);
    expect(() => run(routeOf("POST", "/networks"), "", { name: 7 })).toThrow(/^invalid network.create command: name: /);
  });
});
