import * as C from "../../domain/collection.js";
import type { State } from "../../domain/state.js";

/**
 * Whose a kernel object is. Every link netledger makes carries an alias (IFLA_IFALIAS) naming the
 * database and the entity it serves, and every namespace it makes has a file beside it naming the
 * database, so that two netledger databases on one host never collect each other's objects and `gc`
 * can tell what its state no longer knows.
 */
export type OwnerKind = "network" | "endpoint";

export interface Owner {
  databaseId: string;
  kind: OwnerKind;
  id: string;
}

const aliasPrefix = "netledger/";

export function ownerAlias(o: Owner): string {
  return `${aliasPrefix}${o.databaseId}/${o.kind}/${o.id}`;
}

/** The owner an alias names, or undefined for an alias netledger did not write. */
export function parseOwnerAlias(alias: string | undefined | null): Owner | undefined {
  if (!alias?.startsWith(aliasPrefix)) return undefined;
  const [databaseId, kind, id, ...rest] = alias.slice(aliasPrefix.length).trim().split("/");
  if (!databaseId || !id || rest.length > 0 || (kind !== "network" && kind !== "endpoint")) return undefined;
  return { databaseId, kind, id };
}

/** The file beside a namespace (or in a sandbox's file directory) that names its database. */
export const ownerFileSuffix = ".owner";
export const ownerFile = (path: string): string => `${path}${ownerFileSuffix}`;

/**
 * Whether the state still wants what this owner's object serves (for `gc`): a network it has, an
 * endpoint with a driver call in flight, or one joined (to `inSandbox`, for a link inside a sandbox).
 */
export function ownerWanted(s: State, o: Owner, inSandbox?: string): boolean {
  if (o.kind === "network") return C.has(s.networks, o.id);
  const ep = C.get(s.endpoints, o.id);
  if (!ep) return false;
  if (C.has(s.effectsByResource, ep.id)) return true;
  return inSandbox === undefined ? ep.sandbox !== null : ep.sandbox === inSandbox;
}
