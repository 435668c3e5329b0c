import { z } from "zod";

/**
 * Go's encoding/json, as the plugin protocol has it in practice (plugin-protocol.md §1): keys are
 * matched onto fields without regard to case (an exact match first), unknown keys are ignored, a missing
 * key or a null leaves the zero value, and a value of the wrong type fails the whole decode. Requests go
 * out with struct fields in declaration order, map keys sorted, `<`, `>`, `&` escaped and a trailing
 * newline. The schemas here are zod schemas, so that every answer a plugin gives is validated.
 */

/** A Go string field: missing or null is "". */
export const goString = z.string().nullish().transform((v) => v ?? "");
/** A Go bool field: missing or null is false. */
export const goBool = z.boolean().nullish().transform((v) => v ?? false);
/** A Go int field: missing or null is 0; a fraction or a string fails. */
export const goInt = z.number().int().nullish().transform((v) => v ?? 0);
/** A Go map[string]string: missing or null stays null. */
export const goStringMap = z.record(z.string(), z.string()).nullish().transform((v) => v ?? null);
/** A Go map[string]interface{}: any JSON values; missing or null stays null. */
export const goAnyMap = z.record(z.string(), z.json()).nullish().transform((v) => v ?? null);
/** A Go slice: missing or null stays null. */
export const goSlice = <T extends z.ZodType>(elem: T) => z.array(elem).nullish().transform((v) => v ?? null);

/**
 * Maps an object's keys onto `fields` as Go does: an exact match wins, else the first field equal
 * without regard to case; keys matching no field are dropped. Anything not an object is left for the
 * schema to refuse (a type mismatch); null is left as null.
 */
function foldKeys(value: unknown, fields: readonly string[]): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const lower = new Map<string, string>();
  for (const f of fields) if (!lower.has(f.toLowerCase())) lower.set(f.toLowerCase(), f);
  const exact = new Set(fields);
  const out: Record<string, unknown> = {};
  const fromExact = new Set<string>();
  for (const [k, v] of Object.entries(value)) {
    if (exact.has(k)) {
      out[k] = v;
      fromExact.add(k);
      continue;
    }
    const f = lower.get(k.toLowerCase());
    if (f !== undefined && !fromExact.has(f)) out[f] = v;
  }
  return out;
}

/** A Go struct (pointer or not): keys folded onto the shape's fields; null gives a struct of zero values. */
export function goStruct<S extends z.core.$ZodLooseShape>(shape: S) {
  const fields = Object.keys(shape);
  return z.preprocess((v) => (v === null || v === undefined ? {} : foldKeys(v, fields)), z.object(shape));
}

/** A pointer to a Go struct: null or missing stays null. */
export function goPointer<S extends z.core.$ZodLooseShape>(shape: S) {
  const fields = Object.keys(shape);
  return z.preprocess((v) => (v === undefined ? null : foldKeys(v, fields)), z.object(shape).nullable());
}

/**
 * Reads the first JSON value of a body, as Go's decoder does: trailing bytes after it are ignored,
 * an empty body is an EOF error. Throws a SyntaxError whose message says what was wrong.
 */
export function firstJsonValue(text: string): unknown {
  const start = text.search(/\S/);
  if (start < 0) throw new SyntaxError("unexpected end of input (EOF): the answer was empty");
  try {
    return JSON.parse(text);
  } catch (e) {
    const end = endOfFirstValue(text, start);
    if (end === undefined || end === text.length) throw e;
    return JSON.parse(text.slice(start, end));
  }
}

/** Where the first JSON value starting at `start` ends (exclusive), or undefined when it does not. */
function endOfFirstValue(text: string, start: number): number | undefined {
  const c = text[start];
  if (c !== "{" && c !== "[" && c !== '"') {
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(start));
    return m ? start + m[0].length : undefined;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** A map whose keys go out sorted, as Go encodes maps (struct fields keep their declared order). */
export function sortedMap<V>(m: Record<string, V> | null | undefined): Record<string, V> | null {
  if (m === null || m === undefined) return null;
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
}

/** Go's json.Encoder output: HTML characters escaped, a trailing newline. */
export function goEncode(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) + "\n";
}
