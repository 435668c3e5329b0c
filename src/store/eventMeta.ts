import { canonicalJson } from "../domain/canonical.js";
import type { EventMeta } from "../domain/events.js";

/**
 * An event row's metadata, rebuilt from its columns. Apart from the event schemas (eventLog.ts), so
 * that checking the chain of the log's tail (tailCheck.ts) loads no schema library.
 */
interface MetaColumns {
  actor: string;
  time: string;
  request_id: string | null;
  causation: number | null;
  labels?: string | null;
}

export function metaOf(r: MetaColumns): EventMeta {
  const meta: EventMeta = { actor: r.actor, time: r.time };
  if (r.request_id !== null) meta.requestId = r.request_id;
  if (r.causation !== null) meta.causation = r.causation;
  if (r.labels !== undefined && r.labels !== null) meta.labels = JSON.parse(r.labels) as Record<string, string>;
  return meta;
}

/** The canonical meta text the chain hashes, rebuilt from the meta columns. */
export function metaText(r: MetaColumns): string {
  return canonicalJson(metaOf(r));
}
