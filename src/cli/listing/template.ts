import { invalid } from "../../domain/errors.js";

/**
 * The part of Go's text/template that Docker users write in `--format`: `{{.Field}}`, `{{json .}}`,
 * `{{json .Field}}`, `{{upper .Field}}`, `{{lower .Field}}`, `{{.Label "key"}}`, with `\t` and `\n`
 * read as a tab and a newline (docker/cli's formatter does the same replacement), and a leading
 * `table` meaning columns with a header row. Anything else is refused naming what was not understood,
 * rather than printed wrongly.
 */

/** One row as the template sees it: Docker's field names to their text. */
export type Row = Record<string, string>;

/** A field path (`.IPAM.Driver` is ["IPAM", "Driver"]; `.` is []) and what is done with it. */
type Part = { text: string } | { path: string[]; fn: "print" | "json" | "upper" | "lower" } | { label: string };

export interface Template {
  /** `table …`: print a header row and align the columns. */
  table: boolean;
  parts: Part[];
  /** The columns of a table template: the fields named between tabs, for the header. */
  columns: string[][];
}

const action = /\{\{\s*(.*?)\s*\}\}/g;

function parseAction(inner: string, fields: readonly string[]): Part {
  const label = /^\.Label\s+"([^"]*)"$/.exec(inner);
  if (label) return { label: label[1]! };
  const m = /^(?:(json|upper|lower)\s+)?\.((?:[A-Za-z0-9_]+)(?:\.[A-Za-z0-9_]+)*)?$/.exec(inner);
  if (!m) throw invalid(`--format: cannot read {{${inner}}}; write {{.Field}}, {{json .}} or {{json .Field}} (fields: ${fields.join(", ")})`);
  const path = m[2] === undefined ? [] : m[2].split(".");
  const fn = (m[1] ?? "print") as "print" | "json" | "upper" | "lower";
  if (path.length > 0 && !fields.includes(path[0]!)) throw invalid(`--format: no field .${path[0]}; the fields are ${fields.map((f) => "." + f).join(", ")}`);
  if (path.length === 0 && fn === "print") throw invalid(`--format: {{${inner}}} prints a whole row; write {{json .}}`);
  return { path, fn };
}

export function parseTemplate(format: string, fields: readonly string[]): Template {
  let text = format.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  const table = /^table(\s|$)/.test(text);
  if (table) text = text.slice("table".length).trim();
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(action)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    parts.push(parseAction(m[1]!, fields));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  if (text.includes("{{") && parts.every((p) => "text" in p)) throw invalid(`--format: unclosed {{ in "${format}"`);
  const columns = text.split("\t").map((col) => [...col.matchAll(action)].map((m) => /\.([A-Za-z0-9]+)/.exec(m[1]!)?.[1] ?? "").filter((f) => f !== ""));
  return { table, parts, columns };
}

/** A value as Go's template prints it: text as it is, a missing key as `<no value>`, null as `<nil>`, anything else as JSON. */
function text(v: unknown): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const k of path) v = typeof v === "object" && v !== null && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** One row (or document) through the template (`labels` for `.Label "key"`). */
export function render(t: Template, row: Readonly<Record<string, unknown>>, labels: Record<string, string> = {}): string {
  return t.parts
    .map((p) => {
      if ("text" in p) return p.text;
      if ("label" in p) return labels[p.label] ?? "";
      const value = at(row, p.path);
      if (p.fn === "json") return JSON.stringify(value ?? null);
      const s = text(value);
      return p.fn === "upper" ? s.toUpperCase() : p.fn === "lower" ? s.toLowerCase() : s;
    })
    .join("");
}
