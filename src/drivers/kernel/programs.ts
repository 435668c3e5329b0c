import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The programs the kernel drivers run, looked up in PATH when the drivers are installed (a file
 * check, no process): a driver whose program is missing is not installed, so a command that needs it
 * is refused before anything is written, naming the program — rather than a network recorded without
 * its firewall.
 */
export const requiredPrograms = {
  /** nftables for NAT, isolation and published ports; ip for addresses and routes inside a sandbox. */
  bridge: [
    { program: "nft", from: "nftables" },
    { program: "ip", from: "iproute2" },
  ],
  /** The overlay driver is installed beside the bridge driver (whose collector takes its links); bridge for its forwarding entries. */
  overlay: [
    { program: "ip", from: "iproute2" },
    { program: "bridge", from: "iproute2" },
  ],
} as const;

/** Whether an executable of this name is on `path` (a PATH value). */
export function onPath(program: string, path: string | undefined): boolean {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      /* not in this directory */
    }
  }
  return false;
}

/** The programs of `driver` that `path` lacks, as "nft (nftables)". */
export function missingPrograms(driver: keyof typeof requiredPrograms, path: string | undefined): string[] {
  return requiredPrograms[driver].filter((p) => !onPath(p.program, path)).map((p) => `${p.program} (${p.from})`);
}
