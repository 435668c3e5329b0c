import { existsSync } from "node:fs";
import type { NetConf } from "./config.js";
import type { CniApi } from "./rest.js";
import { CniError, cniCodes } from "./spec.js";

/** The actor every CNI call is logged under: `netledger log --actor cni` is the runtime's audit trail. */
export const cniActor = "cni";

/**
 * The API the plugin talks to, found as the CLI finds it: the config's `host` (a daemon) or `db` (a
 * database file opened in this process), else NETLEDGER_HOST, NETLEDGER_DB, the default daemon socket
 * when a daemon answers there, and last the default database. Modules are imported only for the path
 * taken, so that a call through a daemon never loads SQLite, the drivers or the API's schemas.
 */
export async function openApi(conf: Pick<NetConf, "host" | "db">, env: NodeJS.ProcessEnv): Promise<CniApi> {
  const host = conf.host ?? (conf.db === undefined ? env["NETLEDGER_HOST"] || undefined : undefined);
  const db = conf.db ?? (host === undefined ? env["NETLEDGER_DB"] || undefined : undefined);
  if (host !== undefined) return daemon(host, env);
  if (db !== undefined) return local(db, env);
  const { defaultSocketPath, defaultDbPath } = await import("../controller/paths.js");
  const socket = defaultSocketPath(env);
  if (await answers(socket)) return daemon(`unix://${socket}`, env);
  return local(defaultDbPath(env), env);
}

async function daemon(host: string, env: NodeJS.ProcessEnv): Promise<CniApi> {
  const { RestApi } = await import("./rest.js");
  const tls = {
    ...(env["NETLEDGER_TLS_CERT"] ? { cert: env["NETLEDGER_TLS_CERT"] } : {}),
    ...(env["NETLEDGER_TLS_KEY"] ? { key: env["NETLEDGER_TLS_KEY"] } : {}),
    ...(env["NETLEDGER_TLS_CA"] ? { ca: env["NETLEDGER_TLS_CA"] } : {}),
  };
  return new RestApi(host, cniActor, tls);
}

async function local(db: string, env: NodeJS.ProcessEnv): Promise<CniApi> {
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
