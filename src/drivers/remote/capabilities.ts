import type { z } from "zod";
import { NetledgerError } from "../../domain/errors.js";
import type { Capability } from "../contract.js";
import type { capabilitiesResponse } from "./api.js";

/**
 * Scope negotiation (plugin-protocol.md §5.1): `Scope` must be exactly `local` or `global`;
 * `ConnectivityScope` is `local`, `global`, or empty for the same as `Scope`; anything else (an empty
 * answer included) is refused, and the plugin is not registered. A plugin driver has side effects
 * (every call is an effect with an intent) and takes its addresses from IPAM, as libnetwork's remote
 * driver does.
 */
export function negotiateScope(plugin: string, r: z.output<typeof capabilitiesResponse>): Capability {
  if (r.Scope !== "local" && r.Scope !== "global")
    throw new NetledgerError("BadResponse", `plugin ${plugin}: invalid capability: expecting 'local' or 'global', got Scope "${r.Scope}"`);
  const conn = r.ConnectivityScope === "" ? r.Scope : r.ConnectivityScope;
  if (conn !== "local" && conn !== "global")
    throw new NetledgerError(
      "BadResponse",
      `plugin ${plugin}: invalid capability: expecting 'local' or 'global', got ConnectivityScope "${r.ConnectivityScope}"`,
    );
  return { dataScope: r.Scope, connectivityScope: conn, sideEffects: true, usesIpam: true };
}
