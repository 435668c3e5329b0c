import type { CommandOf } from "../commands.js";
import type { State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";
import { reprogram } from "./reprogram.js";

/**
 * The kernel boot id of the deciding process differs from the last one the log saw: the host was
 * rebooted. Recorded once (a second process opening after the same reboot finds it recorded); every
 * effect attempted on the earlier boot is then in doubt, which recovery resolves like any other.
 */
export function decideBoot(s: State, cmd: CommandOf<"host.boot">, ctx: DecideContext): Decision {
  if (s.boot === ctx.attempt.boot) return { events: [] };
  return {
    events: [
      { type: "host.booted", stream: "host", data: { boot: ctx.attempt.boot, previous: s.boot } },
      // What the reboot took from the kernel, re-programmed through events in the same commit, so
      // that a crash cannot record the reboot and lose the work it owes.
      ...reprogram(s, { type: "kernel.reprogram", drivers: cmd.drivers, goneSandboxes: cmd.goneSandboxes }, ctx).events,
    ],
  };
}

