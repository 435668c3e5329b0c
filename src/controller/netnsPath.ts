import { statfsSync } from "node:fs";
import type { Command } from "../domain/commands.js";
import { invalid } from "../domain/errors.js";

/** The filesystem a namespace file lives on (a bind mount in /run/netns, or /proc/PID/ns/net). */
const NSFS_MAGIC = 0x6e736673;

/**
 * A sandbox given an existing namespace (`--netns PATH`) is checked before anything is written: the
 * path must be a namespace file, or the create would be recorded and then fail, holding the container
 * id. (libnetwork's sandbox code opens the path before it creates anything, likewise.)
 */
export function checkNetnsPath(cmd: Command): void {
  // A relative path is decide's to refuse (it reads no file).
  if (cmd.type !== "sandbox.create" || typeof cmd.netns !== "string" || !cmd.netns.startsWith("/")) return;
  const problem = netnsPathProblem("--netns", cmd.netns);
  if (problem) throw invalid(problem);
}

/** What is wrong with `path` as a namespace file, given as `label`, and what to give instead; undefined if nothing. */
export function netnsPathProblem(label: string, path: string): string | undefined {
  const hint = "give the path of a network namespace, as /run/netns/NAME or /proc/PID/ns/net";
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `${label} ${JSON.stringify(path)}: ${code === "ENOENT" ? "no such file" : (e as Error).message}; ${hint}`;
  }
  return type === NSFS_MAGIC ? undefined : `${label} ${JSON.stringify(path)} is not a namespace file; ${hint}`;
}
