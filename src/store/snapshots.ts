import { z } from "zod";
import { corrupt } from "../domain/errors.js";
import type { State } from "../domain/state.js";
import { stateHash } from "./stateHash.js";
import { issuesText } from "../domain/schemaIssues.js";

/** A snapshot row as SQLite returns it. */
export interface SnapshotRow {
  seq: number;
  reducer_version: number;
  state: string;
  state_hash: string;
  created_at: string;
}

/** A collection (domain/collection.ts): its size and its trie, whose leaves replay and the reducers read. */
const collectionSchema = z.object({ size: z.number().int().nonnegative(), root: z.record(z.string(), z.unknown()) });

/**
 * The top of a snapshot's state: every part the reducers reach for, of the right kind. The records
 * inside the collections are not walked (a state can hold hundreds of thousands of them, and opening
 * must stay quick); the state hash, checked first, already says that they are as they were written.
 */
const snapshotStateSchema = z.object({
  seq: z.number().int().nonnegative(),
  boot: z.string().nullable(),
  drivers: z.record(z.string(), z.object({ options: z.record(z.string(), z.unknown()) })),
  networks: collectionSchema,
  networkNames: collectionSchema,
  endpoints: collectionSchema,
  endpointNames: collectionSchema,
  sandboxes: collectionSchema,
  sandboxContainers: collectionSchema,
  effects: collectionSchema,
  effectsByResource: collectionSchema,
  ipamSubnets: collectionSchema,
});

// The schema names every part of State and nothing else: a part added to State must be added here.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const schemaCoversState: SameKeys<z.infer<typeof snapshotStateSchema>, State> = true;
void schemaCoversState;

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
  const checked = snapshotStateSchema.safeParse(parsed);
  if (!checked.success) {
    throw corrupt(`${where} does not hold a state: ${issuesText(checked.error, 1)}`, { seq: row.seq });
  }
  if (checked.data.seq !== row.seq) throw corrupt(`${where} holds the state at seq ${checked.data.seq}`, { seq: row.seq });
  // The parsed object itself (not zod's copy, which would drop the records' key order): checked above.
  return parsed as State;
}
