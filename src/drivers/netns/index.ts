import { notFound } from "../../domain/errors.js";
import type { EffectCall, GarbageCollector, SandboxDriver } from "../contract.js";
import { createNamespace, deleteNamespace, isNamespace, namespaceOwner } from "./namespaces.js";

/**
 * The sandbox layer (libnetwork's osl) on real Linux network namespaces. A sandbox netledger makes
 * (`create`) gets a namespace bound under the run directory; one given with --netns PATH is only
 * checked, and never deleted; the host's namespace (no key) never reaches this driver. Both calls are
 * idempotent: create finds what exists, delete finds nothing and succeeds. Given the sandbox layer's
 * collector (gc.ts), it answers for that garbage too.
 */
export function netnsSandboxDriver(gc?: GarbageCollector): SandboxDriver {
  return {
    ...(gc ? { gc } : {}),
    exists: isNamespace,
    async createSandbox(req: { sandboxId: string; key: string; create: boolean }, call: EffectCall) {
      if (req.create) return createNamespace(req.key, call.databaseId);
      if (!isNamespace(req.key))
        throw notFound(`${req.key} is not a network namespace (give the path of a bound namespace or /proc/PID/ns/net)`);
    },
    async deleteSandbox(req: { sandboxId: string; key: string }, call: EffectCall) {
      // Only a namespace this database made (its owner file says so) is removed; a --netns one is the caller's.
      if (namespaceOwner(req.key) === call.databaseId) deleteNamespace(req.key, call.databaseId);
    },
  };
}
