import { canonicalJson } from "./canonical.js";
import type { EffectView, EndpointView, NetworkView, SandboxView, StateView } from "./views.js";

/** One field of an entity that differs between two points: its value before and after. */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

export interface ChangedEntity {
  id: string;
  name: string;
  fields: Record<string, FieldChange>;
}

export interface CollectionDiff<V> {
  added: V[];
  removed: V[];
  changed: ChangedEntity[];
}

/** What changed between the states at two seqs (`netledger diff FROM TO`), entity by entity. */
export interface StateDiff {
  from: number;
  to: number;
  networks: CollectionDiff<NetworkView>;
  endpoints: CollectionDiff<EndpointView>;
  sandboxes: CollectionDiff<SandboxView>;
  /** Driver calls opened (added) or settled (removed) in between. */
  effects: CollectionDiff<EffectView>;
}

/**
 * Compares the views field by field, so that a field a view gains later (an endpoint's addresses from
 * IPAM, say) is compared without this code knowing of it. Entities keep the order of the `to` view
 * (creation order); removed ones the order of the `from` view.
 */
function diffCollection<V extends { id: string | number }>(before: readonly V[], after: readonly V[], name: (v: V) => string): CollectionDiff<V> {
  const old = new Map(before.map((v) => [String(v.id), v]));
  const now = new Map(after.map((v) => [String(v.id), v]));
  const out: CollectionDiff<V> = { added: [], removed: [], changed: [] };
  for (const v of after) {
    const prev = old.get(String(v.id));
    if (!prev) {
      out.added.push(v);
      continue;
    }
    const fields: Record<string, FieldChange> = {};
    const a = prev as Record<string, unknown>;
    const b = v as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null)) fields[k] = { from: a[k] ?? null, to: b[k] ?? null };
    if (Object.keys(fields).length > 0) out.changed.push({ id: String(v.id), name: name(v), fields });
  }
  for (const v of before) if (!now.has(String(v.id))) out.removed.push(v);
  return out;
}

export function diffStates(a: StateView, b: StateView): StateDiff {
  const effects = (v: StateView) => [...v.effects.pending, ...v.effects.inDoubt].sort((x, y) => x.id - y.id);
  return {
    from: a.seq,
    to: b.seq,
    networks: diffCollection(a.networks, b.networks, (n) => n.name),
    endpoints: diffCollection(a.endpoints, b.endpoints, (e) => e.name),
    sandboxes: diffCollection(a.sandboxes, b.sandboxes, (s) => s.containerId),
    effects: diffCollection(effects(a), effects(b), (f) => f.op),
  };
}

/** Whether a diff holds no change at all. */
export function isEmptyDiff(d: StateDiff): boolean {
  return [d.networks, d.endpoints, d.sandboxes, d.effects].every((c) => c.added.length + c.removed.length + c.changed.length === 0);
}
