import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * decide is tested at its own level: these specs reach no SQLite, no store, no controller, no driver
 * and no file system. This guard follows every relative import from each spec (and the helpers and
 * domain modules they load) and lists what falls outside.
 */
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../../..");
const forbiddenDirs = ["src/store", "src/controller", "src/effects", "src/drivers", "src/cli"];
const forbiddenPackages = ["better-sqlite3", "node:fs", "fs", "node:child_process", "child_process"];

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]!);
}

function reach(start: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith(".")) packages.add(spec);
      else todo.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
    }
  }
  return { files, packages };
}

const specs = readdirSync(here).filter((f) => f.endsWith(".test.ts") && f !== "isolation.test.ts");

describe("the decide specs", () => {
  it("cover every file of src/domain/decide", () => {
    const decideFiles = readdirSync(join(repo, "src/domain/decide")).filter((f) => f.endsWith(".ts"));
    const missing = decideFiles.filter((f) => !specs.includes(f.replace(/\.ts$/, ".test.ts")));
    expect(missing).toEqual([]);
  });

  it.each(specs)("%s opens no database and touches no store, controller, driver or file", (spec) => {
    const { files, packages } = reach(join(here, spec));
    const outside = [...files].map((f) => relative(repo, f)).filter((f) => forbiddenDirs.some((d) => f.startsWith(`${d}/`)));
    expect(outside).toEqual([]);
    expect([...packages].filter((p) => forbiddenPackages.includes(p))).toEqual([]);
  });
});
