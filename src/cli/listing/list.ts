import type { Command } from "commander";
import { invalid } from "../../domain/errors.js";
import type { CliContext, GlobalOptions } from "../context.js";
import { collect } from "../parse.js";
import { table } from "../output.js";
import { parseTemplate, render, type Row } from "./template.js";

/**
 * `ls` as Docker's: `--filter KEY=VALUE` (repeatable: values of one key are alternatives, different
 * keys must all hold, as `docker network ls` combines them), `-q` for ids only, `--no-trunc` for whole
 * ids, and `--format` (`table`, `json`, or a Go template as Docker users write them).
 */

export interface ListOptions {
  filter: string[];
  quiet: boolean;
  trunc: boolean;
  format?: string;
}

export interface ListSpec<V> {
  /** "network": for messages. */
  kind: string;
  /** The template's fields, in the order `--format json` prints them. */
  fields: readonly string[];
  /** Header per field, as Docker's tables name them (`NETWORK ID`). */
  headers: Readonly<Record<string, string>>;
  /** The default table's fields. */
  columns: readonly string[];
  row(v: V, trunc: boolean): Row;
  labels?(v: V): Record<string, string>;
  /** Each filter key and whether a view passes one value of it. */
  filters: Readonly<Record<string, (v: V, value: string) => boolean>>;
  /** What `-q` prints (truncated unless --no-trunc). */
  id(v: V): string;
}

/** Adds Docker's ls options to a command. */
export function withListOptions(cmd: Command, keys: readonly string[]): Command {
  return cmd
    .option("-f, --filter <key=value>", `keep only what matches (repeatable; keys: ${keys.join(", ")})`, collect, [])
    .option("-q, --quiet", "print only ids", false)
    .option("--no-trunc", "print whole ids")
    .option("--format <format>", "table, json, or a Go template such as '{{.Name}}\\t{{.ID}}' or 'table {{.Name}}\\t{{.Driver}}'");
}

/** `--filter` values by key; an unknown key or a value without `=` is refused, as Docker refuses them. */
export function parseFilters(given: readonly string[], keys: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of given) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw invalid(`--filter takes KEY=VALUE, not "${f}" (keys: ${keys.join(", ")})`);
    const key = f.slice(0, eq).trim().toLowerCase();
    if (!keys.includes(key)) throw invalid(`invalid filter '${key}' (keys: ${keys.join(", ")})`);
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

export function applyFilters<V>(views: readonly V[], spec: ListSpec<V>, given: readonly string[]): V[] {
  const filters = parseFilters(given, Object.keys(spec.filters));
  return views.filter((v) => [...filters].every(([key, values]) => values.some((value) => spec.filters[key]!(v, value))));
}

/** A label filter as Docker reads it: `label=KEY` (has the label) or `label=KEY=VALUE`. */
export function labelMatches(labels: Record<string, string>, value: string): boolean {
  const eq = value.indexOf("=");
  if (eq < 0) return Object.hasOwn(labels, value);
  return labels[value.slice(0, eq)] === value.slice(eq + 1);
}

/** `dangling=true|false` (also 1|0), refused otherwise, as Docker does. */
export function boolFilter(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw invalid(`invalid filter '${key}=${value}': takes true or false`);
}

export const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** Prints a list as the options say. With the global --json it is the views as a JSON array (filtered). */
export function printList<V>(cli: CliContext, g: GlobalOptions, spec: ListSpec<V>, all: readonly V[], o: ListOptions): void {
  const views = applyFilters(all, spec, o.filter);
  const trunc = o.trunc;
  if (o.quiet) {
    const ids = views.map((v) => (trunc ? spec.id(v).slice(0, 12) : spec.id(v)));
    cli.io.out(g.json ? JSON.stringify(ids) + "\n" : ids.map((i) => i + "\n").join(""));
    return;
  }
  if (g.json) {
    cli.io.out(JSON.stringify(views, null, 2) + "\n");
    return;
  }
  const format = o.format ?? "table";
  if (format === "table") {
    cli.io.out(table(spec.columns.map((c) => spec.headers[c]!), views.map((v) => spec.columns.map((c) => spec.row(v, trunc)[c]!))));
    return;
  }
  if (format === "json") {
    for (const v of views) cli.io.out(JSON.stringify(pick(spec.row(v, trunc), spec.fields)) + "\n");
    return;
  }
  const t = parseTemplate(format, spec.fields);
  const lines = views.map((v) => render(t, pick(spec.row(v, trunc), spec.fields), spec.labels?.(v) ?? {}));
  if (!t.table) {
    for (const l of lines) cli.io.out(l + "\n");
    return;
  }
  const head = t.columns.map((fs) => fs.map((f) => spec.headers[f] ?? f.toUpperCase()).join(" "));
  cli.io.out(table(head, lines.map((l) => l.split("\t"))));
}

function pick(row: Row, fields: readonly string[]): Row {
  return Object.fromEntries(fields.map((f) => [f, row[f] ?? ""]));
}
