import { invalid } from "../domain/errors.js";
import { qualifiedName } from "./entityName.js";
import { isId, isIdPrefix, shortId } from "../domain/ids.js";
import { type EventLog, type EventRow, tryEvent } from "../store/eventLog.js";

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

/** The events that create an entity: a stream with one of them is that entity's. */
const birthTypes = ["network.created", "endpoint.created", "sandbox.created"] as const;
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

  /** The entity a stream belongs to, found by its creation event, whatever came first in the stream. */
  entity(stream: string): LoggedEntity | undefined {
    let e = this.byStream.get(stream);
    if (e === undefined) {
      const first = this.log.firstOfType(stream, birthTypes);
      e = first ? this.fromBirth(first) : null;
      // Bounded, so that labelling a trail of millions of entities does not keep them all.
      if (this.byStream.size >= cacheLimit) this.byStream.clear();
      if (first) this.byStream.set(stream, e);
    }
    return e ?? undefined;
  }

  private fromBirth(row: EventRow): LoggedEntity | null {
    const e = tryEvent(row);
    if (!e) return null;
    const entity = (kind: EntityKind, name: string): LoggedEntity => ({ kind, id: row.stream, name, createdSeq: row.seq });
    switch (e.type) {
      case "network.created":
        return entity("network", e.data.name);
      case "sandbox.created":
        return entity("sandbox", e.data.containerId);
      case "endpoint.created": {
        const ep = entity("endpoint", e.data.name);
        const net = this.entity(e.data.network);
        ep.network = { id: e.data.network, name: net?.name ?? shortId(e.data.network) };
        return ep;
      }
      default:
        return null;
    }
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
      const e = row && tryEvent(row);
      op = e?.type === "effect.requested" ? e.data.op || null : null;
      this.effectOps.set(effect, op);
    }
    return op ?? undefined;
  }

  /**
   * Every entity a reference names, oldest first: a full id; `NETWORK/NAME` for an endpoint; a name (a
   * network's, an endpoint's in any network, a sandbox's container id); or a unique id prefix.
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

export { qualifiedName };
