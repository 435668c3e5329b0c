#!/usr/bin/env node
"use strict";
// A CNI plugin (docs/interface.md, CNI): the runtime gives the config on stdin and CNI_* in the environment.
//
// A runtime starts this program for every container start and stop, so its start is on every call's
// path. It is CommonJS on purpose: an ES module entry sets up Node's ESM loader first, which costs more
// than the whole fast path. The fast path loads node:fs, and node:http for a call: VERSION is answered
// here, and a call whose config or NETLEDGER_HOST names a daemon by unix:// or http:// is forwarded to it whole (POST /cni) and its
// answer printed. Everything else — a database file, the default daemon found by looking, https,
// a config that is not JSON, a daemon that cannot be reached or answers anything but its outcome —
// goes to the full plugin (dist/cni/main.js), which carries the call and every error as before; a
// forwarded call it sends again is the same request (its ids are derived), so it appends nothing.
const { readFileSync } = require("node:fs");

// The result versions netledger-cni speaks: src/cni/spec.ts's supportedVersions (a test keeps them equal).
const supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
const cniVariables = ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"];

// Read at once from fd 0 (a runtime gives a pipe or a file); undefined when it is non-blocking (EAGAIN).
function readStdin() {
  try {
    return readFileSync(0, "utf8");
  } catch (e) {
    if (e.code !== "EAGAIN") throw e;
    return undefined;
  }
}

async function streamedStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

function versionOf(stdin) {
  const m = /"cniVersion"\s*:\s*"([^"]*)"/.exec(stdin);
  return m && supportedVersions.includes(m[1]) ? m[1] : "1.0.0";
}

// Where the config sends the call, as src/cni/connect.ts decides it; undefined unless a daemon is named.
function daemonOf(stdin, env) {
  let conf;
  try {
    conf = JSON.parse(stdin);
  } catch {
    return undefined;
  }
  if (typeof conf !== "object" || conf === null || Array.isArray(conf)) return undefined;
  const host = conf.host !== undefined ? conf.host : conf.db === undefined ? env.NETLEDGER_HOST || undefined : undefined;
  if (typeof host !== "string") return undefined;
  if (host.startsWith("unix://")) return { path: host.slice("unix://".length) };
  const m = /^http:\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?\/?$/.exec(host);
  return m ? { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2] || 80) } : undefined;
}

// One POST /cni; resolves to the daemon's outcome, or undefined for anything else (then the full plugin runs).
function forward(target, env, stdin) {
  const vars = {};
  for (const k of cniVariables) if (env[k] !== undefined) vars[k] = env[k];
  const body = Buffer.from(JSON.stringify({ env: vars, config: stdin }), "utf8");
  return new Promise((resolve) => {
    const { request } = require("node:http");
    const where = target.path !== undefined ? { socketPath: target.path } : { host: target.host, port: target.port };
    const headers = { "Content-Type": "application/json", "Content-Length": body.length, Accept: "application/json", "Netledger-Actor": "cni" };
    const req = request({ ...where, method: "POST", path: "/cni", headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", () => resolve(undefined));
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const r = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          const ok = typeof r.exitCode === "number" && (r.output === null || (typeof r.output === "object" && !Array.isArray(r.output)));
          resolve(ok ? r : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("error", () => resolve(undefined));
    req.end(body);
  });
}

function print(s) {
  process.stdout.write(s);
}

async function full(stdin) {
  const { cniMain } = await import("../dist/cni/main.js");
  return cniMain({ env: process.env, stdin: async () => stdin, out: print });
}

async function main() {
  const env = process.env;
  const stdin = readStdin() ?? (await streamedStdin());
  if (env.CNI_COMMAND === "VERSION") {
    print(JSON.stringify({ cniVersion: versionOf(stdin), supportedVersions }) + "\n");
    return 0;
  }
  const target = daemonOf(stdin, env);
  const answer = target && (await forward(target, env, stdin));
  if (!answer) return full(stdin);
  if (answer.output !== null) print(JSON.stringify(answer.output) + "\n");
  return answer.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    print(JSON.stringify({ cniVersion: "1.0.0", code: 112, msg: String((e && e.message) || e) }) + "\n");
    process.exitCode = 1;
  },
);
