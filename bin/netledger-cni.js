#!/usr/bin/env node
// A CNI plugin (docs/interface.md, CNI): the runtime gives the config on stdin and CNI_* in the environment.
import { readFileSync } from "node:fs";
import { cniMain } from "../dist/cni/main.js";

// Read at once from fd 0 (a runtime gives a pipe or a file): process.stdin would build a stream first,
// which costs more than the read. A non-blocking descriptor (EAGAIN) is read as a stream after all.
const stdin = async () => {
  try {
    return readFileSync(0, "utf8");
  } catch (e) {
    if (e.code !== "EAGAIN") throw e;
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    return Buffer.concat(chunks).toString("utf8");
  }
};

cniMain({ env: process.env, stdin, out: (s) => process.stdout.write(s) }).then((code) => {
  process.exitCode = code;
});
