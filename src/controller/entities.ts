import { invalid } from "../domain/errors.js";
import { isId, isIdPrefix, shortId } from "../domain/ids.js";
import type { EventLog, EventRow } from "../store/eventLog.js";

export type EntityKind = "network" | "endpoint" | "sandbox";

/** An entity as the log knows it, whether it still exists or not. */
export interface LoggedEntity {
  kind: EntityKind;
  id: string;
  /** Its name: a network's or endpoint's name, a sandbox's container id. */
  name: string;
  /** An endpoint's network. */
  network?: { id: string; name: string };
  /** The seq of the event that created it. */
  createdSeq: number;
}

/** The event that creates each kind of entity, and where in its data the entity's name is. */
const births: Record<string, { kind: EntityKind; name: string }> = {
  "network.created": { kind: "network", name: "name" },
  "endpoint.created": { kind: "endpoint", name: "name" },
  "sandbox.created": { kind: "sandbox", name: "containerId" },
};
const birthTypes = Object.keys(births);
const cacheLimit = 50_000;

/**
 * Entities found through the log rather than the current state, so that an entity deleted long ago
 * is still found by its old name, and a name that several entities held over time finds all of them.
 * Lookups are cached: the log only grows, and a stream's first event never changes.
 */
export class EntityDirectory {
  private readonly byStream = new Map<string, LoggedEntity | null>();
  private readonly effectOps = new Map<number, string | null>();

  constructor(private readonly log: EventLog) {}

  /** The entity a stream belongs to, if its first event created one. */
  entity(stream: string): LoggedEntity | undefined {
    let e = this.byStream.get(stream);
    if (e === undefined) {
      const first = this.log.firstOf(stream);
      e = first ? this.fromBirth(first) : null;
      // Bounded, so that labelling a trail of millions of entities does not keep them all.
      if (this.byStream.size >= cacheLimit) this.byStream.clear();
      if (first) this.byStream.set(stream, e);
    }
    return e ?? undefined;
  }

  private fromBirth(row: EventRow): LoggedEntity | null {
    const birth = births[row.type];
    if (!birth) return null;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(row.data) as Record<string, unknown>;
    } catch {
      return null;
    }
    const entity: LoggedEntity = { kind: birth.kind, id: row.stream, name: String(data[birth.name] ?? row.stream), createdSeq: row.seq };
    if (birth.kind === "endpoint" && typeof data["network"] === "string") {
      const net = this.entity(data["network"]);
      entity.network = { id: data["network"], name: net?.name ?? shortId(data["network"]) };
    }
    return entity;
  }

  /** How a stream is named for people: `network frontend`, `endpoint backend/web-1`, `driver acme`. */
  label(stream: string): string {
    const e = this.entity(stream);
    if (e) return `${e.kind} ${qualifiedName(e)}`;
    if (stream.startsWith("driver:")) return `driver ${stream.slice("driver:".length)}`;
    return isId(stream) ? shortId(stream) : stream;
  }

  /** A stream's name without its kind: `frontend`, `backend/web-1`. */
  name(stream: string): string {
    const e = this.entity(stream);
    return e ? qualifiedName(e) : isId(stream) ? shortId(stream) : stream;
  }

  /** The driver operation of an effect (by the seq of its intent), for describing its outcome. */
  effectOp(effect: number): string | undefined {
    let op = this.effectOps.get(effect);
    if (op === undefined) {
      const row = this.log.rowAt(effect);
      op = null;
      if (row?.type === "effect.requested") {
        try {
          op = String((JSON.parse(row.data) as { op?: unknown }).op ?? "") || null;
        } catch {
          op = null;
        }
      }
      this.effectOps.set(effect, op);
    }
    return op ?? undefined;
  }

  /**
   * Every entity a reference names, oldest first: a full id; `NETWORK/NAME` for an endpoint; a name (a
   * network's, an endpoint's in any network, a sandbox's container id); or an id prefix of 12 or more.
   * Only kinds in `kinds` are considered. An ambiguous id prefix is an error, as in Docker.
   */
  find(ref: string, kinds: readonly EntityKind[] = ["network", "endpoint", "sandbox"]): LoggedEntity[] {
    const wanted = (e: LoggedEntity | undefined): e is LoggedEntity => e !== undefined && kinds.includes(e.kind);
    if (isId(ref)) {
      const e = this.entity(ref);
      if (wanted(e)) return [e];
    }
    const slash = ref.indexOf("/");
    if (slash > 0 && kinds.includes("endpoint")) {
      const nets = this.find(ref.slice(0, slash), ["network"]);
      return nets.flatMap((n) => this.endpointsNamed(n.id, ref.slice(slash + 1)));
    }
    const named = this.named(ref).filter(wanted);
    if (named.length > 0) return named;
    if (isIdPrefix(ref)) {
      const matches = this.log
        .streamsWithPrefix(ref)
        .map((s) => this.entity(s))
        .filter(wanted);
      if (matches.length > 1)
        throw invalid(
          `id prefix "${ref}" is ambiguous: it matches ${matches.map((m) => `${m.kind} ${m.name} (${shortId(m.id)})`).join(", ")}; give more characters`,
        );
      return matches;
    }
    return [];
  }

  /** The endpoints that ever held `name` in a network. */
  endpointsNamed(networkId: string, name: string): LoggedEntity[] {
    return this.log
      .rowsWithValue(["endpoint.created"], ["$.name"], name)
      .map((r) => this.entity(r.stream))
      .filter((e): e is LoggedEntity => e !== undefined && e.network?.id === networkId);
  }

  private named(name: string): LoggedEntity[] {
    const rows = this.log.rowsWithValue(birthTypes, ["$.name", "$.containerId"], name);
    const out: LoggedEntity[] = [];
    for (const r of rows) {
      const e = this.entity(r.stream);
      // `$.name` of a sandbox or `$.containerId` of a network is not their name: check the field.
      if (e && e.name === name && e.createdSeq === r.seq) out.push(e);
    }
    return out;
  }
}

/** An endpoint's name with its network's, as names are unique only within a network. */
export function qualifiedName(e: LoggedEntity): string {
  return e.kind === "endpoint" && e.network ? `${e.network.name}/${e.name}` : e.name;
}
