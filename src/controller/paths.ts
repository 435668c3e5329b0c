import { homedir, userInfo } from "node:os";
import { join } from "node:path";

/** Namespaces, links and nftables need root; without it the kernel drivers are not installed. */
export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** interface.md §2: /var/lib/netledger for root, else the XDG state directory. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env["NETLEDGER_DB"]) return env["NETLEDGER_DB"];
  if (isRoot()) return "/var/lib/netledger/netledger.db";
  const state = env["XDG_STATE_HOME"] || join(homedir(), ".local", "state");
  return join(state, "netledger", "netledger.db");
}

/** Where netledger keeps runtime objects (namespaces, sockets): /run/netledger for root. */
export function defaultRunDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["NETLEDGER_RUN_DIR"]) return env["NETLEDGER_RUN_DIR"];
  if (isRoot()) return "/run/netledger";
  const runtime = env["XDG_RUNTIME_DIR"];
  return runtime ? join(runtime, "netledger") : join("/tmp", `netledger-${process.getuid?.() ?? "user"}`);
}

/** The daemon's UNIX socket: /run/netledger/netledger.sock for root (interface.md §2, `serve`). */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultRunDir(env), "netledger.sock");
}

export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? "?"}`;
  }
}
