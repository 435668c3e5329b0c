import type { CniApi } from "./api.js";
import { add, attached, del, gc, networkOf } from "./attach.js";
import { checkKernel, checkPrevResult } from "./check.js";
import type { CniEnv, NetConf } from "./config.js";
import { openLocal } from "./connect.js";
import { resultOf } from "./result.js";
import { CniError, cniCodes, type CniResult } from "./spec.js";

/** A command refused because an earlier one on the same entity is still in flight (a crashed process's, say). */
function busy(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "Conflict" && /in progress/.test((e as Error).message);
}

/**
 * Once, when an entity is busy with what a dead process left: recover (take it over and wait for its
 * outcome), then the same call again. A runtime retries too, but this settles most cases at once.
 */
async function settling<T>(api: CniApi, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!busy(e)) throw e;
    await api.recover();
    return fn();
  }
}

/** One ADD, DEL, CHECK, GC or STATUS on the database at `db`, opened in this process for the call. */
export async function runLocal(db: string, conf: NetConf, env: CniEnv, processEnv: NodeJS.ProcessEnv): Promise<CniResult | undefined> {
  const api = await openLocal(db, processEnv);
  try {
    return await runCall(api, conf, env);
  } finally {
    await api.close();
  }
}

/** One ADD, DEL, CHECK, GC or STATUS against netledger's API (the caller's to close); ADD answers with its result. */
export async function runCall(api: CniApi, conf: NetConf, env: CniEnv): Promise<CniResult | undefined> {
  switch (env.command) {
    case "ADD": {
      const a = await settling(api, () => add(api, conf, env));
      return resultOf(a, env.netns);
    }
    case "DEL":
      await settling(api, () => del(api, conf, env));
      return undefined;
    case "CHECK": {
      const a = await attached(api, conf, env);
      checkPrevResult(a, conf.prevResult);
      await checkKernel(a, env.ifname, env.netns);
      return undefined;
    }
    case "GC":
      await settling(api, () => gc(api, conf, env));
      return undefined;
    case "STATUS":
      try {
        await networkOf(api, conf.network);
      } catch (e) {
        throw new CniError(cniCodes.notAvailable, `netledger cannot serve network ${conf.network}`, (e as Error).message);
      }
      return undefined;
    default:
      throw new CniError(cniCodes.invalidEnvironment, `CNI_COMMAND ${env.command} is not served here`);
  }
}
