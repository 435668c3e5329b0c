/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Event rows store their
 * data and metadata in this form, so the text that is hashed is the text that is stored, byte for byte.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

function write(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`cannot encode ${v} in canonical JSON`);
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ",";
          const item = v[i];
          out += item === undefined ? "null" : write(item);
        }
        return out + "]";
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const item = obj[k];
        if (item === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += JSON.stringify(k) + ":" + write(item);
      }
      return out + "}";
    }
    default:
      throw new TypeError(`cannot encode a ${typeof v} in canonical JSON`);
  }
}

/**
 * The same text as canonicalJson, in pieces: objects and arrays `depth` levels deep are opened here,
 * what lies deeper is written whole. A large value (a cluster snapshot) is serialised a slice at a
 * time, so its writer can give the thread back between slices; joined, the pieces are canonicalJson(v).
 */
export function* canonicalPieces(v: unknown, depth: number): Generator<string> {
  if (depth <= 0 || v === null || typeof v !== "object") {
    yield write(v);
    return;
  }
  if (Array.isArray(v)) {
    yield "[";
    for (let i = 0; i < v.length; i++) {
      if (i > 0) yield ",";
      const item = v[i];
      if (item === undefined) yield "null";
      else yield* canonicalPieces(item, depth - 1);
    }
    yield "]";
    return;
  }
  const obj = v as Record<string, unknown>;
  yield "{";
  let first = true;
  for (const k of Object.keys(obj).sort()) {
    const item = obj[k];
    if (item === undefined) continue;
    yield (first ? "" : ",") + JSON.stringify(k) + ":";
    first = false;
    yield* canonicalPieces(item, depth - 1);
  }
  yield "}";
}
