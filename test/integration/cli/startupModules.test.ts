import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadedModules } from "../../helpers/loadedModules.js";

/**
 * What a command loads at start (issue 15): --version and --help must not pull in the write path
 * (controller, store, effects, drivers, SQLite) nor the libraries only some commands use (zod's
 * schemas, ip-num, the HTTP client, etcd). Structural: the modules are listed by a loader hook in a
 * child process running the built CLI; nothing here is timed.
 */
const heavy = [
  "/dist/controller/controller.js",
  "/dist/api/local.js",
  "/dist/store/",
  "/dist/effects/",
  "/dist/drivers/",
  "/dist/domain/events.js",
  "/dist/api/schemas.js",
  "/node_modules/better-sqlite3/",
  "/node_modules/zod/",
  "/node_modules/ip-num/",
  "/node_modules/undici/",
  "/node_modules/fastify/",
  "/node_modules/etcd3/",
];
const heavyIn = (modules: string[]) => modules.filter((m) => heavy.some((h) => m.includes(h)));
const env = { NETLEDGER_HOST: "", NETLEDGER_DB: "/nonexistent/netledger-startup-test.db" };

describe("CLI start-up", () => {
  it("answers --version having loaded nothing but its own script", () => {
    const r = loadedModules(["--version"], env);
    expect(r.status).toBe(0);
    expect(r.modules.filter((m) => !m.endsWith("/bin/netledger.js"))).toEqual([]);
  });

  it.each([["--help"], ["network", "--help"], ["network", "ls", "--help"], ["log", "--help"]])("shows %s without loading the write path, zod, ip-num or the HTTP client", (...args) => {
    const r = loadedModules(args, env);
    expect(r.status).toBe(0);
    // The hook saw the CLI itself, so an empty list below means something.
    expect(r.modules.some((m) => m.endsWith("/dist/cli/main.js"))).toBe(true);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it.each([["network", "ls"], ["network", "inspect", "n1"], ["endpoint", "ls"], ["sandbox", "ls"]])(
    "answers %s %s from a snapshot at the head without the controller, the event schemas (zod) or ip-num",
    (...args) => {
      const dir = mkdtempSync(join(tmpdir(), "netledger-startup-"));
      try {
        const db = join(dir, "n.db");
        for (const step of [["network", "create", "-d", "null", "--subnet", "10.40.0.0/24", "n1"], ["snapshot"]])
          expect(loadedModules(["--db", db, ...step], { NETLEDGER_HOST: "" }).status).toBe(0);
        const r = loadedModules(["--db", db, ...args], { NETLEDGER_HOST: "" });
        expect(r.status, r.stderr).toBe(0);
        // The hook saw the read path, so an empty list below means something.
        expect(r.modules.some((m) => m.endsWith("/dist/api/read.js"))).toBe(true);
        const readPath = ["/dist/store/readLog.js", "/dist/store/snapshots.js", "/dist/store/tailCheck.js", "/dist/store/hashChain.js", "/dist/store/stateHash.js", "/dist/store/eventMeta.js", "/dist/store/migrations.js", "/node_modules/better-sqlite3/"];
        expect(heavyIn(r.modules).filter((m) => !readPath.some((p) => m.includes(p)))).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("loads the controller when a command needs it (the hook sees lazy imports too)", () => {
    const dir = mkdtempSync(join(tmpdir(), "netledger-startup-"));
    try {
      const r = loadedModules(["--db", join(dir, "n.db"), "network", "create", "-d", "null", "n1"], { NETLEDGER_HOST: "" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.modules.some((m) => m.endsWith("/dist/api/local.js"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
