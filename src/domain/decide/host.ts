import type { NewEvent } from "../events.js";
import type { State } from "../state.js";
import type { DecideContext, Decision } from "./context.js";

/**
 * The kernel boot id of the deciding process differs from the last one the log saw: the host was
 * rebooted. Recorded once (a second process opening after the same reboot finds it recorded); every
 * effect attempted on the earlier boot is then in doubt, which recovery resolves like any other.
 */
export function decideBoot(s: State, ctx: DecideContext): Decision {
  if (s.boot === ctx.attempt.boot) return { events: [] };
  return {
    events: [
      { type: "host.booted", stream: "host", data: { boot: ctx.attempt.boot, previous: s.boot } },
      ...planAfterReboot(s, ctx),
    ],
  };
}

/**
 * What a reboot owes the kernel: its namespaces, links and rules are gone. This is where networks are
 * re-programmed (their REPROGRAM lifecycle event and a createNetwork call) and sandboxes whose namespace
 * no longer exists are cleaned up (DESIGN §2). Nothing is planned yet; it is issue 6's to fill in.
 */
export function planAfterReboot(_s: State, _ctx: DecideContext): NewEvent[] {
  return [];
}
