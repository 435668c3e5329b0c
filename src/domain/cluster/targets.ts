import { invalid } from "../errors.js";
import { findNetwork } from "../resolve.js";
import type { State } from "../state.js";

// What a command of global scope names: an overlay network's VXLAN id, a network of global scope.

export const vxlanIdOption = "com.docker.network.driver.overlay.vxlanid_list";

/** The VXLAN id an overlay network's creator asked for (Docker's option, its first id), or "auto". */
export function askedVni(options: Record<string, string>): number | "auto" {
  const v = options[vxlanIdOption];
  if (v === undefined || v === "") return "auto";
  const n = Number(v.split(",")[0]!.trim());
  if (!Number.isInteger(n) || n < 1 || n > 16777215) throw invalid(`driver option ${vxlanIdOption} must be a VXLAN id from 1 to 16777215, not "${v}"`);
  return n;
}

/** The local copy of a global network named by `ref`, or undefined for a local network (or none). */
export function globalNetworkOf(s: State, ref: string) {
  const n = findNetwork(s, ref);
  return n && n.scope === "global" ? n : undefined;
}
