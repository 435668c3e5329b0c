#!/usr/bin/env node
import { readFileSync } from "node:fs";

// A reader that goes away (`netledger log | head`) is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === "--version") {
  // Answered before anything else is loaded: the CLI's parser and commands are not needed to say it.
  process.stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
} else {
  const { main } = await import("../dist/cli/main.js");
  process.exitCode = await main(argv);
}
