#!/usr/bin/env node
"use strict";
// A CNI plugin (docs/interface.md, CNI): the runtime gives the config on stdin and CNI_* in the environment.
//
// A runtime starts this program for every container start and stop, so its start is on every call's
// path. It is CommonJS on purpose: an ES module entry sets up Node's ESM loader first, which costs more
// than the whole fast path. The fast path loads node:fs and node:net only (node:http alone costs more
// than the request it would make): VERSION is answered here, and a call whose config or
// NETLEDGER_HOST names a daemon by unix:// or http:// is forwarded to it whole (POST /cni) and its
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

// The body of an HTTP/1.1 response, with a chunked transfer coding undone; undefined if it is not one.
function parseResponse(raw) {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] || "");
  if (!status) return undefined;
  let body = raw.subarray(end + 4);
  if (head.some((h) => /^transfer-encoding:\s*chunked/i.test(h))) {
    const parts = [];
    for (let at = 0; ; ) {
      const eol = body.indexOf("\r\n", at);
      if (eol < 0) return undefined;
      const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
      if (Number.isNaN(size)) return undefined;
      if (size === 0) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(status[1]), body: body.toString("utf8") };
}

// One POST /cni on a connection of its own; resolves to the daemon's outcome, or undefined for anything else.
function forward(target, env, stdin) {
  const vars = {};
  for (const k of cniVariables) if (env[k] !== undefined) vars[k] = env[k];
  const body = Buffer.from(JSON.stringify({ env: vars, config: stdin }), "utf8");
  const head =
    `POST /cni HTTP/1.1\r\nHost: ${target.path !== undefined ? "localhost" : target.host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\nAccept: application/json\r\nNetledger-Actor: cni\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve) => {
    const { createConnection } = require("node:net");
    const socket = createConnection(target.path !== undefined ? { path: target.path } : target);
    const chunks = [];
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => resolve(undefined));
    socket.on("end", () => {
      const res = parseResponse(Buffer.concat(chunks));
      if (!res || res.status !== 200) return resolve(undefined);
      try {
        const r = JSON.parse(res.body);
        const ok = typeof r.exitCode === "number" && (r.output === null || (typeof r.output === "object" && !Array.isArray(r.output)));
        resolve(ok ? r : undefined);
      } catch {
        resolve(undefined);
      }
    });
    // Not end(): Node's HTTP server drops a request whose sender half-closes before the answer. The
    // daemon closes the connection once it has answered (Connection: close).
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
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
