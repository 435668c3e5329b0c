import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../../../src/daemon/openapi.js";
import { routes } from "../../../src/daemon/routes.js";
import { Daemon } from "../../../src/daemon/server.js";
import { rawRequest } from "../../helpers/http.js";
import { tempDir } from "../../helpers/tmp.js";

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>>;
  components: { schemas: Record<string, unknown> };
};

/** Every `$ref` in a document, wherever it is. */
function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, out);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") out.push(x);
      else refs(x, out);
    }
  return out;
}

describe("the OpenAPI document", () => {
  it("is served at /openapi.json exactly as generated from the zod schemas, and docs/openapi.json is up to date", async () => {
    const dir = tempDir();
    const socket = join(dir, "d.sock");
    daemons.push(await Daemon.start({ controller: { db: join(dir, "n.db") }, socket }));
    const served = await rawRequest(socket, "GET", "/openapi.json");
    expect(served.status).toBe(200);
    const generated = openApiDocument();
    expect(served.json()).toEqual(generated);
    const kept = JSON.parse(readFileSync(new URL("../../../docs/openapi.json", import.meta.url), "utf8"));
    // If this fails, the API changed: run `npm run openapi` and commit docs/openapi.json with the change.
    expect(kept).toEqual(generated);
  });

  it("is OpenAPI 3.1 that names every route once, with path parameters declared and every $ref resolving", () => {
    const doc = openApiDocument() as Doc;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "netledger", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(Object.keys(op!.responses)).toEqual([String(r.status ?? 200), "default"]);
      const declared = (op!.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
      expect(declared).toEqual([...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    }
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const ref of refs(doc)) {
      const name = /^#\/components\/schemas\/(\w+)$/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
    // Request bodies come from the library's command schemas: fields with defaults are optional.
    const create = doc.components.schemas["NetworkCreate"] as { required?: string[]; properties: Record<string, unknown> };
    expect(create.required).toEqual(["name"]);
    expect(Object.keys(create.properties).sort()).toEqual(["driver", "id", "internal", "ipam", "ipv6", "labels", "name", "options"]);
  });
});
