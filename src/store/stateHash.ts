import { createHash } from "node:crypto";
import { canonicalJson } from "../domain/canonical.js";
import type { State } from "../domain/state.js";

export function stateHash(stateJson: string): string {
  return createHash("sha256").update(stateJson).digest("hex");
}

/** The canonical JSON of a state and its hash: what snapshots store and verify compares. */
export function serialiseState(s: State): { json: string; hash: string } {
  const json = canonicalJson(s);
  return { json, hash: stateHash(json) };
}
