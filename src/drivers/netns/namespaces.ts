import { mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { forbidden } from "../../domain/errors.js";
import { loopbackUp } from "../kernel/namespaceLinks.js";
import { unbindNamespace } from "../kernel/setns.js";
import { ownerFile } from "./ownership.js";

/** statfs(2) f_type of a bound namespace file (linux/magic.h NSFS_MAGIC). */
const nsfsMagic = 0x6e736673;

/** Whether `path` is a network namespace: a bind mount of one, or a /proc/PID/ns/net link. */
export function isNamespace(path: string): boolean {
  try {
    return statfsSync(path).type === nsfsMagic;
  } catch {
    return false;
  }
}

/** The database id written beside a namespace netledger made, if any. */
export function namespaceOwner(path: string): string | undefined {
  try {
    return readFileSync(ownerFile(path), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function assertNotOthers(path: string, databaseId: string): void {
  const owner = namespaceOwner(path);
  if (owner !== undefined && owner !== databaseId)
    throw forbidden(`namespace ${path} belongs to netledger database ${owner}, not to this one (${databaseId}); netledger leaves it alone`);
}

/**
 * Makes a network namespace bound at `path` with loopback up, the way `ip netns add` does but in
 * netledger's own directory and without a process (kernel/setns.ts): the owner file first (so that
 * whatever a crash leaves can be told apart), then the namespace made and bound to the file, and its
 * loopback set up from a socket opened inside. Finds a namespace that already exists and only makes
 * sure its loopback is up.
 */
export async function createNamespace(path: string, databaseId: string): Promise<void> {
  assertNotOthers(path, databaseId);
  if (isNamespace(path)) return loopbackUp(path, false);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(ownerFile(path), databaseId + "\n");
  writeFileSync(path, "", { flag: "a" });
  await loopbackUp(path, true);
}

/**
 * Unbinds and removes a namespace netledger made; a namespace that is not there is already deleted.
 * Links still inside it go with it (a veth's host end too). One that another database owns is refused.
 */
export function deleteNamespace(path: string, databaseId: string): void {
  assertNotOthers(path, databaseId);
  if (isNamespace(path)) unbindNamespace(path);
  rmSync(path, { force: true });
  rmSync(ownerFile(path), { force: true });
}
