import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Compiles a TypeScript entry of the test tree and every file it imports relatively (src and test
 * helpers) to plain JavaScript, for children started hundreds of times: a child under tsx spends most
 * of its start-up (about 0.9 s against 0.3 s here) transforming modules. Types are not checked here
 * (`npm test` type-checks first); each file is transpiled on its own, which `isolatedModules` and
 * `verbatimModuleSyntax` make exact.
 *
 * The output mirrors the repository's layout under node_modules/.cache, inside the repository, so
 * that relative imports keep their meaning and packages resolve from the repository's node_modules.
 * `remove()` deletes it.
 */
export interface Compiled {
  /** The compiled entry, to run with `node`. */
  entry: string;
  remove(): void;
}

export function compileChild(entry: string): Compiled {
  const cache = join(repoRoot, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(join(cache, "netledger-child-"));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    // ES modules as written: transpileModule cannot see package.json's "type" that NodeNext reads.
    module: ts.ModuleKind.ES2022,
    verbatimModuleSyntax: true,
    esModuleInterop: true,
  };
  const seen = new Set<string>();
  const queue = [resolve(entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      // Relative imports name the emitted `.js`; the source beside it is `.ts`.
      if (fileName.startsWith(".")) queue.push(resolve(dirname(file), fileName.replace(/\.js$/, ".ts")));
    }
    const js = ts.transpileModule(source, { compilerOptions: options, fileName: file }).outputText;
    const target = join(out, relative(repoRoot, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  // The store finds its migrations beside src (src/store/migrations.ts).
  cpSync(join(repoRoot, "migrations"), join(out, "migrations"), { recursive: true });
  // The repository is an ES module package: the compiled files are too.
  writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module" }));
  return {
    entry: join(out, relative(repoRoot, resolve(entry))).replace(/\.ts$/, ".js"),
    remove: () => rmSync(out, { recursive: true, force: true }),
  };
}
