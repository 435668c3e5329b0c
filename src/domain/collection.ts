import { peek } from "./peek.js";

/**
 * A keyed collection laid out as a fixed three-level trie of 16-way nodes of plain objects.
 *
 * Why: immer copies every container an update touches, and copying an object or Map of 10,000 entries
 * costs milliseconds. Here an update copies three 16-key nodes and one leaf of (keys / 4096) entries, so
 * the cost of a command stays flat as the state grows to hundreds of thousands of entities. Being plain
 * objects, the trie is drafted by immer, frozen with the rest of the state, and serialised as it is.
 *
 * The path of a key is its first three hex characters when the key is an id (64 hex), so that an id
 * prefix can be looked up without a scan, and otherwise three characters of an FNV-1a hash of the key.
 *
 * All mutators work on an immer draft or on a plain mutable value (the replay path). Reads (`get`,
 * `has`, the iterators) look through a draft without drafting what they pass (peek.ts): on a draft a
 * read through immer's proxy copies each node it passes, which a batch then walks and freezes again.
 * A recipe that changes the value it looks up takes it with `getMut`, which drafts the path.
 */
export interface Collection<V> {
  size: number;
  root: Record<string, Record<string, Record<string, Record<string, V>>>>;
}

export function emptyCollection<V>(): Collection<V> {
  return { size: 0, root: {} };
}

const hex = "0123456789abcdef";

function isHexId(key: string): boolean {
  if (key.length !== 64) return false;
  for (let i = 0; i < 3; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const hexValue = (c: number): number => (c <= 57 ? c - 48 : c - 87);

/** The path of a key as three hex digits in one number, lowest first: no array per look-up. */
function pathCode(key: string): number {
  if (isHexId(key)) return hexValue(key.charCodeAt(0)) | (hexValue(key.charCodeAt(1)) << 4) | (hexValue(key.charCodeAt(2)) << 8);
  // FNV-1a, 32 bit: cheap, stable, and spreads short names well.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0xfff;
}

/** The three path characters for a key. */
export function pathOf(key: string): [string, string, string] {
  const p = pathCode(key);
  return [hex[p & 15]!, hex[(p >>> 4) & 15]!, hex[p >>> 8]!];
}

/** A value to read: on a draft, what the draft holds now, not drafted (changing it throws: it is frozen). */
export function get<V>(c: Collection<V>, key: string): V | undefined {
  const p = pathCode(key);
  const l1 = peek(peek(c).root)[hex[p & 15]!];
  const l2 = l1 && peek(l1)[hex[(p >>> 4) & 15]!];
  const leaf = l2 && peek(l2)[hex[p >>> 8]!];
  if (leaf === undefined) return undefined;
  const l = peek(leaf);
  // Own keys only: a name such as "valueOf" must not find Object.prototype's.
  return Object.hasOwn(l, key) ? l[key] : undefined;
}

/** A value to change in place (a recipe's): on a draft, the value drafted with the path to it. */
export function getMut<V>(c: Collection<V>, key: string): V | undefined {
  const p = pathCode(key);
  const leaf = c.root[hex[p & 15]!]?.[hex[(p >>> 4) & 15]!]?.[hex[p >>> 8]!];
  return leaf !== undefined && Object.hasOwn(leaf, key) ? leaf[key] : undefined;
}

export function has<V>(c: Collection<V>, key: string): boolean {
  return get(c, key) !== undefined;
}

export function set<V>(c: Collection<V>, key: string, value: V): void {
  // Leaves are plain objects: this one key would set a prototype instead of adding an entry.
  if (key === "__proto__") throw new Error('"__proto__" cannot be a key');
  const [a, b, d] = pathOf(key);
  const l1 = (c.root[a] ??= {});
  const l2 = (l1[b] ??= {});
  const leaf = (l2[d] ??= {});
  if (!Object.hasOwn(leaf, key)) c.size++;
  leaf[key] = value;
}

/** Removes a key and prunes nodes it leaves empty, so a drained collection is as small as a new one. */
export function remove<V>(c: Collection<V>, key: string): boolean {
  const [a, b, d] = pathOf(key);
  const l1 = c.root[a];
  const l2 = l1?.[b];
  const leaf = l2?.[d];
  if (!leaf || !Object.hasOwn(leaf, key)) return false;
  delete leaf[key];
  c.size--;
  if (isEmpty(leaf)) {
    delete l2![d];
    if (isEmpty(l2!)) {
      delete l1![b];
      if (isEmpty(l1!)) delete c.root[a];
    }
  }
  return true;
}

function isEmpty(o: object): boolean {
  for (const _ in peek(o)) return false;
  return true;
}

export function* entries<V>(c: Collection<V>): Generator<[string, V]> {
  const root = peek(peek(c).root);
  for (const a in root) {
    const l1 = peek(root[a]!);
    for (const b in l1) {
      const l2 = peek(l1[b]!);
      for (const d in l2) {
        const leaf = peek(l2[d]!);
        for (const k in leaf) yield [k, leaf[k]!];
      }
    }
  }
}

export function* values<V>(c: Collection<V>): Generator<V> {
  for (const [, v] of entries(c)) yield v;
}

export function keys<V>(c: Collection<V>): string[] {
  const out: string[] = [];
  for (const [k] of entries(c)) out.push(k);
  return out;
}

/** Keys that start with a hex prefix of at least three characters; reads one leaf. */
export function keysWithPrefix<V>(c: Collection<V>, prefix: string): string[] {
  if (prefix.length < 3) return keys(c).filter((k) => k.startsWith(prefix));
  const l1 = peek(peek(c).root)[prefix[0]!];
  const l2 = l1 && peek(l1)[prefix[1]!];
  const leaf = l2 && peek(l2)[prefix[2]!];
  if (!leaf) return [];
  return Object.keys(peek(leaf)).filter((k) => k.startsWith(prefix));
}
