import type { CniApi } from "./api.js";
import type { Forwarded } from "./forward.js";
import { cniMain } from "./main.js";

/**
 * The daemon's side of a forwarded CNI call (`POST /cni`): the call run as the plugin would run it, with
 * the runtime's CNI_* variables and config, against the daemon's own API. Every command it sends
 * carries the actor `cni` and the runtime's CNI_ARGS, as in-process. The answer is what the plugin
 * prints and its exit status; a refused call is an answer too (the spec's error object), not an HTTP error.
 */
export async function serveCniCall(api: CniApi, variables: Record<string, string>, config: string): Promise<Forwarded> {
  let out = "";
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(variables)) if (k.startsWith("CNI_")) env[k] = v;
  const exitCode = await cniMain({ env, stdin: async () => config, out: (s) => (out += s) }, api);
  return { exitCode, output: out.trim() === "" ? null : (JSON.parse(out) as Record<string, unknown>) };
}
