import { createHash } from "node:crypto";

/** The hash before the first event. */
export const genesisHash = "0".repeat(64);

/** The fields of a row that the chain covers, as stored (data and meta are canonical JSON text). */
export interface ChainedRow {
  seq: number;
  stream: string;
  type: string;
  version: number;
  data: string;
  meta: string;
}

/**
 * hash = sha256(previous hash ‖ canonical event), where the canonical event is the JSON object
 * {data, meta, seq, stream, type, version} with sorted keys, built from the stored text byte for byte,
 * so that any change to a stored byte changes the hash.
 */
function canonicalEventText(r: ChainedRow): string {
  return `{"data":${r.data},"meta":${r.meta},"seq":${r.seq},"stream":${JSON.stringify(r.stream)},"type":${JSON.stringify(r.type)},"version":${r.version}}`;
}

export function chainHash(previous: string, r: ChainedRow): string {
  return createHash("sha256").update(previous).update(canonicalEventText(r)).digest("hex");
}
