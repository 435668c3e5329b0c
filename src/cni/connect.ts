import { existsSync } from "node:fs";
import type { CniApi } from "./api.js";
import type { NetConf } from "./config.js";
import { CniError, cniCodes } from "./spec.js";

/** The actor every CNI call is logged under: `netledger log --actor cni` is the runtime's audit trail. */
export const cniActor = "cni";

/** Where a call is carried: by a daemon (the call is forwarded to it whole), or in this process on a database file. */
export type Target = { host: string } | { db: string };

/**
 * Where the plugin finds netledger, as the CLI does: the config's `host` (a daemon) or `db` (a
 * database file opened in this process), else NETLEDGER_HOST, NETLEDGER_DB, the default daemon socket
 * when a daemon answers there, and last the default database.
 */
export async function targetOf(conf: Pick<NetConf, "host" | "db">, env: NodeJS.ProcessEnv): Promise<Target> {
  const host = conf.host ?? (conf.db === undefined ? env["NETLEDGER_HOST"] || undefined : undefined);
  const db = conf.db ?? (host === undefined ? env["NETLEDGER_DB"] || undefined : undefined);
  if (host !== undefined) return { host };
  if (db !== undefined) return { db };
  const { defaultSocketPath, defaultDbPath } = await import("../controller/paths.js");
  const socket = defaultSocketPath(env);
  if (await answers(socket)) return { host: `unix://${socket}` };
  return { db: defaultDbPath(env) };
}

/** The library on a database file, opened in this process under the actor `cni`. */
export async function openLocal(db: string, env: NodeJS.ProcessEnv): Promise<CniApi> {
  // Opening a file that is not there would make an empty database: a config naming it is wrong instead.
  if (!existsSync(db)) throw new CniError(cniCodes.invalidConfig, `there is no netledger database at ${db}`, "create a network there first, or name another db");
  const { LocalApi } = await import("../api/local.js");
  const { pluginDirs } = await import("../api/plugins.js");
  return LocalApi.open({ db, actor: cniActor, pluginDirs: pluginDirs(undefined, env) });
}

/** Whether a daemon listens on the default socket (connection refused or no file: none). */
async function answers(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return false;
  const { createConnection } = await import("node:net");
  return new Promise((resolve) => {
    const c = createConnection(socket, () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}
