import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The house rules (docs/architecture.md, the rooms, issue 13) checked by reading the sources: each rule is one test that
 * names every file breaking it. Imports are read with a regex (`import … from "…"`, `export … from
 * "…"`, `import "…"`), type-only imports included, as madge counts them.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "src");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

interface SourceFile {
  /** Relative to the repository: `src/store/store.ts`. */
  path: string;
  text: string;
  /** Every module specifier it imports or re-exports, as written. */
  specifiers: string[];
  /** The files under src/ its relative specifiers resolve to. */
  local: string[];
}

const importRe = /(?:^|[\s;])(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?["']([^"']+)["']/g;

function resolveLocal(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")])
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  return undefined;
}

const files: SourceFile[] = walk(src).map((abs) => {
  const text = readFileSync(abs, "utf8");
  const specifiers = [...text.matchAll(importRe)].map((m) => m[1]!);
  const local = specifiers.map((s) => resolveLocal(abs, s)).filter((p): p is string => p !== undefined);
  return { path: relative(root, abs), text, specifiers, local };
});
const byPath = new Map(files.map((f) => [f.path, f]));

/** Lines as an editor counts them (a final newline ends the last line, it does not start another). */
const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
const under = (dir: string) => (f: SourceFile) => f.path.startsWith(`${dir}/`);
const list = (what: string[]) => (what.length ? `\n  ${what.join("\n  ")}` : "");

/** Every cycle's files, one strongly connected component each (Tarjan), with one concrete loop through it. */
function importCycles(): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of byPath.get(v)?.local ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || byPath.get(v)?.local.includes(v)) components.push(comp);
    }
  };
  for (const f of files) if (!idx.has(f.path)) visit(f.path);
  return components.map((comp) => loopThrough(comp).join(" → "));
}

/** A shortest loop from the component's first file back to itself, inside the component. */
function loopThrough(comp: string[]): string[] {
  const inComp = new Set(comp);
  const start = [...comp].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of byPath.get(v)?.local ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return comp;
}

describe("the architecture", () => {
  it("has no import cycle between files under src/", () => {
    const cycles = importCycles();
    expect(cycles, `import cycles:${list(cycles)}`).toEqual([]);
  });

  it("has no `as never` or `as any` in src/", () => {
    const bad = files.filter((f) => /\bas (never|any)\b/.test(f.text)).map((f) => f.path);
    expect(bad, `casts to never/any in:${list(bad)}`).toEqual([]);
  });

  it("keeps SQL text and better-sqlite3 in src/store", () => {
    const sql = /SELECT |INSERT INTO|CREATE TABLE|\.prepare\(/;
    const bad = files
      .filter((f) => !under("src/store")(f))
      .filter((f) => sql.test(f.text) || f.specifiers.includes("better-sqlite3"))
      .map((f) => f.path);
    expect(bad, `SQL or better-sqlite3 outside src/store in:${list(bad)}`).toEqual([]);
  });

  it("reaches bridge and netns internals only from inside src/drivers", () => {
    const bad = files
      .filter((f) => !under("src/drivers")(f))
      .filter((f) => f.local.some((p) => p.startsWith("src/drivers/bridge/") || p.startsWith("src/drivers/netns/")))
      .map((f) => `${f.path} (${f.local.filter((p) => /^src\/drivers\/(bridge|netns)\//.test(p)).join(", ")})`);
    expect(bad, `imports of drivers/bridge or drivers/netns from outside src/drivers:${list(bad)}`).toEqual([]);
  });

  it("keeps src/domain pure: it imports nothing outside src/domain but zod, immer, xstate and ip-num", () => {
    const allowed = new Set(["zod", "immer", "xstate", "ip-num"]);
    const bad = files.filter(under("src/domain")).flatMap((f) =>
      f.specifiers
        .filter((s) => {
          if (s.startsWith(".")) return !(resolveLocal(join(root, f.path), s) ?? "").startsWith("src/domain/");
          return !allowed.has(s);
        })
        .map((s) => `${f.path} imports ${s}`),
    );
    expect(bad, `src/domain reaching outside:${list(bad)}`).toEqual([]);
  });

  it("keeps src/controller/controller.ts at most 400 lines", () => {
    const lines = lineCount(byPath.get("src/controller/controller.ts")?.text ?? "");
    expect(lines, `src/controller/controller.ts has ${lines} lines`).toBeLessThanOrEqual(400);
  });

  it("has no file under src/ over 450 lines", () => {
    const bad = files
      .map((f) => ({ path: f.path, lines: lineCount(f.text) }))
      .filter((f) => f.lines > 450)
      .map((f) => `${f.path} (${f.lines} lines)`);
    expect(bad, `files over 450 lines:${list(bad)}`).toEqual([]);
  });

  it("keeps the CLI off the drivers: src/cli imports no src/drivers module", () => {
    const bad = files
      .filter(under("src/cli"))
      .filter((f) => f.local.some((p) => p.startsWith("src/drivers/")))
      .map((f) => f.path);
    expect(bad, `src/cli importing src/drivers:${list(bad)}`).toEqual([]);
  });

  it("reads the imports it checks (the rules above are not vacuous)", () => {
    expect(byPath.get("src/store/store.ts")?.specifiers).toContain("better-sqlite3");
    expect(byPath.get("src/domain/evolve.ts")?.local).toContain("src/domain/collection.ts");
    expect(files.length).toBeGreaterThan(50);
  });
});
