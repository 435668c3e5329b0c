import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootId, currentAttempt, isAlive } from "../../../src/effects/processIdentity.js";

function stat(pid: number): { state: string; start: string } | undefined {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return { state: rest[0]!, start: rest[19]! };
  } catch {
    return undefined;
  }
}

describe("whether the process of an attempt is alive", () => {
  it("is yes for this process", () => {
    expect(isAlive(currentAttempt())).toBe(true);
  });

  it("is no for a process that exited, for a reused pid, and for any process of another boot", async () => {
    const child = spawn("true");
    const pid = child.pid!;
    const start = stat(pid)?.start ?? "0";
    await new Promise((r) => child.on("close", r));
    expect(isAlive({ pid, start, boot: bootId() })).toBe(false);
    // Our own pid, started at another time: a pid the kernel gave to a new process.
    expect(isAlive({ ...currentAttempt(), start: "1" })).toBe(false);
    expect(isAlive({ ...currentAttempt(), boot: "another-boot" })).toBe(false);
  });

  it("is no for a zombie, although its pid and start time still match", async () => {
    // The shell backgrounds a short sleep and execs a long one, which never reaps it: a zombie.
    const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = Number(await new Promise<string>((r) => parent.stdout!.once("data", (d) => r(String(d).trim()))));
      while (stat(zombie)?.state !== "Z") await new Promise((r) => setTimeout(r, 10));
      const start = stat(zombie)!.start;
      expect(isAlive({ pid: zombie, start, boot: bootId() })).toBe(false);
      expect(isAlive({ pid: parent.pid!, start: stat(parent.pid!)!.start, boot: bootId() })).toBe(true);
    } finally {
      process.kill(parent.pid!, "SIGKILL");
    }
  });
});

describe("the boot id", () => {
  it("is the kernel's, unless NETLEDGER_BOOT_ID names another (a simulated reboot)", () => {
    expect(bootId({})).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    expect(bootId({ NETLEDGER_BOOT_ID: "boot-b" })).toBe("boot-b");
  });
});
