import type { CniApi } from "./api.js";
import { type CniCommand, parseConf, readCommand, readEnv } from "./config.js";
import { CniError, cniCodes, inVersion, isSupported, netledgerCodes, supportedVersions } from "./spec.js";

/**
 * netledger-cni: a CNI plugin that is a front door to netledger. The runtime runs it once per call
 * with the network configuration on stdin and CNI_* in the environment; it answers on stdout (a
 * result, or the spec's error object with a non-zero exit). VERSION loads nothing but spec.ts; a call
 * a daemon carries loads only the forwarder (forward.ts); the library is imported only for a call run
 * in this process, and the CLI (commander) never is.
 */

export interface CniIo {
  env: NodeJS.ProcessEnv;
  stdin: () => Promise<string>;
  out: (s: string) => void;
}

/** The version a reply is written in: the config's when it is one netledger-cni speaks. */
function versionOf(stdin: string): string {
  const m = /"cniVersion"\s*:\s*"([^"]*)"/.exec(stdin);
  return m && isSupported(m[1]!) ? m[1]! : "1.0.0";
}

/** A netledger error as the spec's: unreachable or busy means try again later (11), the rest netledger's own codes. */
function asCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  if (code === "Unavailable" || code === "PluginUnavailable") return new CniError(cniCodes.tryAgainLater, message, `netledger ${String(code)}`);
  if (typeof code === "string" && netledgerCodes[code] !== undefined) return new CniError(netledgerCodes[code]!, message, `netledger ${code}`);
  return new CniError(netledgerCodes["Internal"]!, message);
}

/**
 * Runs one CNI call; resolves to the exit status. `carrier` is the API of a daemon carrying a call
 * forwarded to it (src/cni/serve.ts); without one, the call goes to the daemon the config names or
 * finds, else runs in this process on the database.
 */
export async function cniMain(io: CniIo, carrier?: CniApi): Promise<number> {
  let stdin = "";
  let version = "1.0.0";
  try {
    const command: CniCommand = readCommand(io.env);
    stdin = await io.stdin();
    version = versionOf(stdin);
    if (command === "VERSION") {
      io.out(JSON.stringify({ cniVersion: version, supportedVersions }) + "\n");
      return 0;
    }
    const conf = parseConf(stdin);
    const env = readEnv(io.env, command);
    let reply;
    if (carrier !== undefined) reply = await (await import("./call.js")).runCall(carrier, conf, env);
    else {
      const target = await (await import("./connect.js")).targetOf(conf, io.env);
      if ("host" in target) {
        const r = await (await import("./forward.js")).forward(target.host, io.env, stdin);
        if (r.output !== null) io.out(JSON.stringify(r.output) + "\n");
        return r.exitCode;
      }
      reply = await (await import("./call.js")).runLocal(target.db, conf, env, io.env);
    }
    if (reply !== undefined) io.out(JSON.stringify(inVersion(reply, conf.cniVersion)) + "\n");
    return 0;
  } catch (e) {
    io.out(JSON.stringify(asCniError(e).toJSON(version)) + "\n");
    return 1;
  }
}
