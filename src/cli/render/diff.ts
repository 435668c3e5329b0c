import { isId, shortId } from "../../domain/ids.js";
import { type ChangedEntity, type CollectionDiff, isEmptyDiff, type StateDiff } from "../../domain/stateDiff.js";
import type { EffectView, EndpointView, NetworkView, SandboxView } from "../../domain/views.js";
import type { Style } from "../style.js";
import { effectDescription, pointText, type ViewNames } from "./state.js";

/** A field's value in a few characters: ids by name, nothing as `-`. */
function value(v: unknown, names: ViewNames): string {
  if (v === null || v === undefined || v === "") return "-";
  if (typeof v === "string") return isId(v) ? names.of(v) : v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string" && isId(x))) return v.length ? v.map((x: string) => names.of(x)).join(",") : "-";
  return JSON.stringify(v);
}

function changes(c: ChangedEntity, names: ViewNames, style: Style): string[] {
  return Object.entries(c.fields).map(([k, f]) => `      ${k}: ${style.bad(value(f.from, names))} → ${style.ok(value(f.to, names))}`);
}

function part<V extends { id: string | number }>(
  title: string,
  d: CollectionDiff<V>,
  describe: (v: V) => string,
  label: (c: ChangedEntity) => string,
  names: ViewNames,
  style: Style,
): string[] {
  if (d.added.length + d.removed.length + d.changed.length === 0) return [];
  return [
    style.bold(title),
    ...d.added.map((v) => style.ok(`  + ${describe(v)}`)),
    ...d.removed.map((v) => style.bad(`  - ${describe(v)}`)),
    ...d.changed.flatMap((c) => [style.warn(`  ~ ${label(c)}`), ...changes(c, names, style)]),
  ];
}

/** What changed between two points, for people: `+` added, `-` removed, `~` changed field by field. */
export function diffText(d: StateDiff, times: { from: string | null; to: string | null }, names: ViewNames, style: Style): string {
  const head = `from ${pointText(d.from, times.from)} to ${pointText(d.to, times.to)}: ${d.to - d.from} events`;
  if (isEmptyDiff(d)) return `${head}\nno changes\n`;
  const lines = [
    head,
    ...part<NetworkView>("networks", d.networks, (n) => `${n.name} ${shortId(n.id)} (${n.driver}, ${n.state})`, (c) => `${c.name} ${shortId(c.id)}`, names, style),
    ...part<EndpointView>(
      "endpoints",
      d.endpoints,
      (e) => `${names.of(e.network)}/${e.name} ${shortId(e.id)} (${[e.ipv4, e.sandbox ? `in ${names.of(e.sandbox)}` : null, e.state].filter(Boolean).join(", ")})`,
      (c) => `${names.of(c.id)} ${shortId(c.id)}`,
      names,
      style,
    ),
    ...part<SandboxView>(
      "sandboxes",
      d.sandboxes,
      (s) => `${s.containerId} ${shortId(s.id)} (${s.key ?? "host namespace"}, ${s.state})`,
      (c) => `${c.name} ${shortId(c.id)}`,
      names,
      style,
    ),
    ...part<EffectView>("effects (+ opened, - settled)", d.effects, (f) => `#${f.id} ${effectDescription(f, names)}`, (c) => `#${c.id} ${c.name}`, names, style),
  ];
  return lines.join("\n") + "\n";
}
