import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const hook = fileURLToPath(new URL("./moduleLog.mjs", import.meta.url));
const cli = fileURLToPath(new URL("../../bin/netledger.js", import.meta.url));

/**
 * The modules `netledger ARGS` loads (the built CLI, in a child process), as file: URLs, each once:
 * what moduleLog.mjs records. Also the command's status, so a caller can see it ran.
 */
export function loadedModules(args: string[], env: NodeJS.ProcessEnv = {}): { modules: string[]; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "netledger-modules-"));
  const log = join(dir, "modules.txt");
  try {
    const r = spawnSync(process.execPath, ["--import", hook, cli, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env, NETLEDGER_MODULE_LOG: log },
      encoding: "utf8",
      timeout: 60_000,
    });
    const text = (() => {
      try {
        return readFileSync(log, "utf8");
      } catch {
        return "";
      }
    })();
    const modules = [...new Set(text.split("\n").filter((l) => l.startsWith("file:")))].sort();
    return { modules, status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
