// Loaded with `node --import` by tests and the start-up bench: when NETLEDGER_MODULE_LOG names a file,
// every module the process loads is written to it, one a line (ESM by URL through a loader hook,
// CommonJS by path from the require cache at exit), so a test can see what a command pulled in.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { pathToFileURL } from "node:url";

const out = process.env["NETLEDGER_MODULE_LOG"];
if (out) {
  register(new URL("./moduleLogHooks.mjs", import.meta.url), { data: { out } });
  process.on("exit", () => {
    const cjs = Object.keys(createRequire(import.meta.url).cache).map((p) => `${pathToFileURL(p).href}\n`);
    appendFileSync(out, cjs.join(""));
  });
}
