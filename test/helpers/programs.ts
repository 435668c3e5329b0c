import { spawnSync } from "node:child_process";

/** Whether a program is on the PATH (`command -v`): a test that needs one skips, saying so, without it. */
export function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}
