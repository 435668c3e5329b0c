import { isId, shortId } from "../../domain/ids.js";
import type { EffectView, StateView } from "../../domain/views.js";
import { table } from "../output.js";
import type { Style } from "../style.js";
import { shortTime } from "./events.js";

/**
 * Names of the entities in one or more views, for text that mentions them: `frontend`,
 * `backend/web-1` (an endpoint with its network), a sandbox by its container id.
 */
export class ViewNames {
  private readonly names = new Map<string, string>();

  constructor(...views: StateView[]) {
    for (const v of views) {
      for (const n of v.networks) this.names.set(n.id, n.name);
      for (const s of v.sandboxes) this.names.set(s.id, s.containerId);
    }
    for (const v of views) for (const e of v.endpoints) this.names.set(e.id, `${this.of(e.network)}/${e.name}`);
  }

  of(id: string): string {
    return this.names.get(id) ?? (isId(id) ? shortId(id) : id);
  }
}

/** A point as a heading: `seq 27 (2024-05-01T10:30:00Z)`. */
export function pointText(seq: number, time: string | null): string {
  return seq === 0 ? "seq 0 (the empty log)" : time ? `seq ${seq} (${shortTime(time)})` : `seq ${seq}`;
}

export function effectDescription(f: EffectView, names: ViewNames): string {
  return `${f.op} via ${f.driver} on ${names.of(f.resource)}`;
}

function section(title: string, head: string[], rows: (string | number | null)[][], style: Style): string {
  return `${style.bold(title)}\n` + (rows.length ? table(head, rows) : "(none)\n");
}

/** The whole state at a point, as `replay` prints it for people: one table per kind of entity. */
export function stateText(v: StateView, time: string | null, style: Style): string {
  const names = new ViewNames(v);
  const effects = [
    ...v.effects.pending.map((f) => ({ f, status: "pending" })),
    ...v.effects.inDoubt.map((f) => ({ f, status: "in doubt" })),
  ].sort((a, b) => a.f.id - b.f.id);
  return [
    `state at ${pointText(v.seq, time)}\n`,
    section(
      "NETWORKS",
      ["NAME", "NETWORK ID", "DRIVER", "SUBNETS", "ENDPOINTS", "STATE"],
      v.networks.map((n) => [n.name, shortId(n.id), n.driver, n.ipam.config.map((c) => c.subnet).join(",") || "-", n.endpoints.length, style.state(n.state)]),
      style,
    ),
    section(
      "ENDPOINTS",
      ["NETWORK", "NAME", "ENDPOINT ID", "SANDBOX", "IPV4", "STATE"],
      v.endpoints.map((e) => [names.of(e.network), e.name, shortId(e.id), e.sandbox ? names.of(e.sandbox) : "-", e.ipv4 ?? "-", style.state(e.state)]),
      style,
    ),
    section(
      "SANDBOXES",
      ["CONTAINER", "SANDBOX ID", "NAMESPACE", "ENDPOINTS", "STATE"],
      v.sandboxes.map((s) => [s.containerId, shortId(s.id), s.key ?? "(host)", s.endpoints.map((id) => names.of(id)).join(",") || "-", style.state(s.state)]),
      style,
    ),
    section(
      "EFFECTS",
      ["EFFECT", "CALL", "ATTEMPTS", "SINCE", "STATUS"],
      effects.map(({ f, status }) => [`#${f.id}`, effectDescription(f, names), f.attempts, shortTime(f.requestedAt), style.state(status)]),
      style,
    ),
  ].join("\n");
}
