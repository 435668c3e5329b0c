#!/usr/bin/env node
// A CNI plugin (docs/interface.md, CNI): the runtime gives the config on stdin and CNI_* in the environment.
import { cniMain } from "../dist/cni/main.js";

const stdin = async () => {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
};

cniMain({ env: process.env, stdin, out: (s) => process.stdout.write(s) }).then((code) => {
  process.exitCode = code;
});
