import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

// Every test file gets its own run directory (namespaces, sandbox files), so that nothing a test
// makes lands in the host's /run/netledger; child processes inherit it through the environment.
const dir = mkdtempSync(join(tmpdir(), "netledger-run-"));
process.env["NETLEDGER_RUN_DIR"] = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
