import { readFileSync } from "node:fs";
import type { Attempt } from "../domain/events.js";

/**
 * Who is making a driver call: pid, the process's start time and the kernel boot id. An effect is in
 * doubt only when the process that made its last attempt is gone: a pid that no longer exists, a
 * zombie, a pid reused by a process that started at another time, or any process of an earlier boot.
 */
export const bootIdEnvVar = "NETLEDGER_BOOT_ID";

let kernelBoot: string | undefined;

/**
 * The kernel boot id, or NETLEDGER_BOOT_ID when set: tests simulate a reboot by opening with another
 * one. Read from /proc once per process (it cannot change under a running process).
 */
export function bootId(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[bootIdEnvVar];
  if (override) return override;
  if (kernelBoot === undefined) {
    try {
      kernelBoot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      kernelBoot = "unknown-boot";
    }
  }
  return kernelBoot;
}

interface ProcStat {
  state: string;
  start: string;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return { state: rest[0] ?? "?", start: rest[19] ?? "?" };
}

let self: Attempt | undefined;

export function currentAttempt(): Attempt {
  const boot = bootId();
  if (!self || self.pid !== process.pid || self.boot !== boot) {
    self = { pid: process.pid, start: procStat(process.pid)?.start ?? "0", boot };
  }
  return self;
}

export function isSelf(a: Attempt): boolean {
  const me = currentAttempt();
  return a.pid === me.pid && a.start === me.start && a.boot === me.boot;
}

/** Whether the process of an attempt is still running (and so may still complete its call). */
export function isAlive(a: Attempt, currentBoot = currentAttempt().boot): boolean {
  if (a.boot !== currentBoot) return false;
  const st = procStat(a.pid);
  if (!st) return false;
  if (st.state === "Z" || st.state === "X") return false;
  return st.start === a.start;
}
