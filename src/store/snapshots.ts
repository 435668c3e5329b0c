import { corrupt } from "../domain/errors.js";
import type { State } from "../domain/state.js";
import { stateHash } from "./stateHash.js";

/** A snapshot row as SQLite returns it. */
export interface SnapshotRow {
  seq: number;
  reducer_version: number;
  state: string;
  state_hash: string;
  created_at: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A collection (domain/collection.ts): its size and its trie, whose leaves replay and the reducers read. */
function collectionIssue(v: unknown): string | undefined {
  if (!isRecord(v)) return "expected a collection";
  if (typeof v["size"] !== "number" || !Number.isInteger(v["size"]) || v["size"] < 0) return "size: expected a count";
  if (!isRecord(v["root"])) return "root: expected an object";
  return undefined;
}

/**
 * The top of a snapshot's state: every part the reducers reach for, of the right kind, each part by
 * its check. The records inside the collections are not walked (a state can hold hundreds of
 * thousands of them, and opening must stay quick); the state hash, checked first, already says that
 * they are as they were written. Checked by hand rather than with a zod schema: a read command that
 * answers from the snapshot then loads no schema library at all (docs/architecture.md, the read path).
 */
const stateParts: { [K in keyof State]-?: (v: unknown) => string | undefined } = {
  seq: (v) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? undefined : "expected a seq"),
  boot: (v) => (v === null || typeof v === "string" ? undefined : "expected a boot id or null"),
  drivers: (v) => (isRecord(v) && Object.values(v).every((d) => isRecord(d) && isRecord(d["options"])) ? undefined : "expected drivers with their options"),
  networks: collectionIssue,
  networkNames: collectionIssue,
  endpoints: collectionIssue,
  endpointNames: collectionIssue,
  sandboxes: collectionIssue,
  sandboxContainers: collectionIssue,
  effects: collectionIssue,
  effectsByResource: collectionIssue,
  ipamSubnets: collectionIssue,
};

/** The first part of a parsed state that is not what the reducers read, as `part: what was expected`. */
function stateIssue(parsed: unknown): string | undefined {
  if (!isRecord(parsed)) return "expected an object";
  for (const [part, check] of Object.entries(stateParts)) {
    const issue = check(parsed[part]);
    if (issue !== undefined) return `${part}: ${issue}`;
  }
  return undefined;
}

/**
 * A snapshot's state, checked before replay trusts it: its hash (a changed byte anywhere), its shape,
 * and that it is the state at the seq it is filed under. A snapshot is only an optimisation, but one
 * that fails here is a Corrupt error naming its seq, as `netledger verify` reports it.
 */
export function snapshotState(row: SnapshotRow): State {
  const where = `snapshot at seq ${row.seq}`;
  if (stateHash(row.state) !== row.state_hash)
    throw corrupt(`${where} does not match its own state hash: it was changed after it was written`, { seq: row.seq });
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.state);
  } catch {
    throw corrupt(`${where} holds a state that is not JSON`, { seq: row.seq });
  }
  const issue = stateIssue(parsed);
  if (issue !== undefined) throw corrupt(`${where} does not hold a state: ${issue}`, { seq: row.seq });
  const state = parsed as State;
  if (state.seq !== row.seq) throw corrupt(`${where} holds the state at seq ${state.seq}`, { seq: row.seq });
  return state;
}
