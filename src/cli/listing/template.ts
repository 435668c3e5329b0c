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

type Part = { text: string } | { field: string | null; fn: "print" | "json" | "upper" | "lower" } | { label: string };

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
  const m = /^(?:(json|upper|lower)\s+)?\.([A-Za-z0-9]*)$/.exec(inner);
  if (!m) throw invalid(`--format: cannot read {{${inner}}}; write {{.Field}}, {{json .}} or {{json .Field}} (fields: ${fields.join(", ")})`);
  const field = m[2] === "" ? null : m[2]!;
  const fn = (m[1] ?? "print") as "print" | "json" | "upper" | "lower";
  if (field !== null && !fields.includes(field)) throw invalid(`--format: no field .${field}; the fields are ${fields.map((f) => "." + f).join(", ")}`);
  if (field === null && fn !== "json") throw invalid(`--format: {{${inner}}} prints a whole row; write {{json .}}`);
  return { field, fn };
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

/** One row through the template (`labels` for `.Label "key"`). */
export function render(t: Template, row: Row, labels: Record<string, string> = {}): string {
  return t.parts
    .map((p) => {
      if ("text" in p) return p.text;
      if ("label" in p) return labels[p.label] ?? "";
      const value = p.field === null ? row : row[p.field]!;
      if (p.fn === "json") return JSON.stringify(value);
      const s = value as string;
      return p.fn === "upper" ? s.toUpperCase() : p.fn === "lower" ? s.toLowerCase() : s;
    })
    .join("");
}
