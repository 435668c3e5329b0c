import * as C from "../collection.js";
import type { SandboxRecord, State } from "../state.js";

/**
 * Whether a sandbox takes a join now (libnetwork's Endpoint.Join wants it ready). One whose namespace
 * was given from outside (`--netns`, a CNI runtime's CNI_NETNS) does while the sandbox layer is still
 * checking that path: the check makes nothing, so the join needs nothing of it, and a path that is no
 * namespace fails the join too (the connect then rolls back). So a CNI ADD sends the sandbox and its
 * connect in one commit instead of waiting for the check's answer first. A namespace netledger makes
 * must exist before anything joins it: that sandbox must be ready.
 */
export function joinable(s: State, sb: SandboxRecord): boolean {
  if (sb.lifecycle === "ready") return true;
  if (sb.lifecycle !== "creating") return false;
  const open = C.get(s.effectsByResource, sb.id);
  const fx = open === undefined ? undefined : C.get(s.effects, String(open));
  return fx !== undefined && fx.op === "createSandbox" && !fx.inverse && fx.args.create === false;
}
