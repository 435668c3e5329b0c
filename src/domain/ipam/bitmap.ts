/**
 * Which ordinals of a pool (address − network address) are taken, as a sparse trie of 32-way nodes of
 * plain objects whose leaves are 32-bit words.
 *
 * Why this shape: an allocation touches one root-to-leaf path, so under immer it copies `levels` small
 * nodes (at most 32 keys each) whatever the size of the pool, and on replay it mutates them in place.
 * Each node counts the bits set below it, so a search skips full subtrees and an absent child is a
 * wholly free one: a /8 (2^24 addresses) costs five steps per allocation and nothing for the space it
 * does not use, and an IPv6 /64 works the same way with 13. Being plain objects, it is frozen with the
 * rest of the state and serialised into snapshots as it is.
 *
 * Ordinals are written as digit arrays, most significant first: `levels` inner digits (0–31) that pick
 * a child at each level, then the bit (0–31) in the word. Digits keep IPv4 arithmetic in small numbers
 * and still reach 128-bit IPv6 ordinals; allocator.ts converts them from and to bigints.
 */
export interface BitNode {
  /** Bits set in this subtree. */
  n: number;
  /** Children by digit: nodes, or at level 1 the 32-bit words (never 0: an empty word is removed). */
  c: Record<number, BitNode | number>;
}

export interface Bitmap {
  /** Inner levels: the root is at `levels`, and level-1 nodes hold words. */
  levels: number;
  root: BitNode;
}

export type Digits = number[];

const maxLevels = 26;
/** Ordinals a node at each level spans: 2^(5·(level+1)). */
const span: number[] = Array.from({ length: maxLevels + 1 }, (_, k) => 2 ** (5 * (k + 1)));

/** Inner levels for a pool of 2^hostBits ordinals (at least one, so that the root holds words). */
export function levelsFor(hostBits: number): number {
  return Math.max(1, Math.ceil((hostBits - 5) / 5));
}

export function emptyBitmap(hostBits: number): Bitmap {
  return { levels: levelsFor(hostBits), root: { n: 0, c: {} } };
}

/** The number of ordinals set. */
export const countOf = (bm: Bitmap): number => bm.root.n;

export function has(bm: Bitmap, d: Digits): boolean {
  let node: BitNode | undefined = bm.root;
  const L = bm.levels;
  for (let i = 0; i < L - 1; i++) {
    node = node.c[d[i]!] as BitNode | undefined;
    if (node === undefined) return false;
  }
  const w = node.c[d[L - 1]!] as number | undefined;
  return w !== undefined && (w & (1 << d[L]!)) !== 0;
}

/** Path scratch for add/remove (the nodes from the root down); reused so that a call allocates nothing. */
const path: BitNode[] = new Array(maxLevels);

/** Sets an ordinal; false when it was already set. */
export function add(bm: Bitmap, d: Digits): boolean {
  const L = bm.levels;
  let node = bm.root;
  path[0] = node;
  for (let i = 0; i < L - 1; i++) {
    let child = node.c[d[i]!] as BitNode | undefined;
    if (child === undefined) {
      node.c[d[i]!] = { n: 0, c: {} };
      child = node.c[d[i]!] as BitNode; // read back: under immer this is the draft
    }
    node = child;
    path[i + 1] = node;
  }
  const word = (node.c[d[L - 1]!] as number | undefined) ?? 0;
  const bit = 1 << d[L]!;
  if ((word & bit) !== 0) return false;
  node.c[d[L - 1]!] = word | bit;
  for (let i = 0; i < L; i++) path[i]!.n++;
  return true;
}

/** Clears an ordinal; false when it was not set. Empty words and nodes are removed. */
export function remove(bm: Bitmap, d: Digits): boolean {
  const L = bm.levels;
  let node: BitNode | undefined = bm.root;
  path[0] = node;
  for (let i = 0; i < L - 1; i++) {
    node = node.c[d[i]!] as BitNode | undefined;
    if (node === undefined) return false;
    path[i + 1] = node;
  }
  const word = (node.c[d[L - 1]!] as number | undefined) ?? 0;
  const bit = 1 << d[L]!;
  if ((word & bit) === 0) return false;
  const rest = word & ~bit;
  if (rest === 0) delete node.c[d[L - 1]!];
  else node.c[d[L - 1]!] = rest;
  for (let i = L - 1; i >= 0; i--) {
    const p = path[i]!;
    p.n--;
    if (p.n === 0 && i > 0) delete path[i - 1]!.c[d[i - 1]!];
  }
  return true;
}

/** Bits lo..hi of a word. */
const rangeMask = (lo: number, hi: number): number => (0xffffffff >>> (31 - hi)) & (0xffffffff << lo);

/**
 * The first clear ordinal in [a, b] (inclusive; a ≤ b), or null. Descends only where the bounds allow
 * and skips subtrees whose count says they are full.
 */
export function firstClear(bm: Bitmap, a: Digits, b: Digits): Digits | null {
  const out: Digits = new Array(bm.levels + 1);
  return search(bm.root, bm.levels, 0, a, b, true, true, out) ? out : null;
}

function search(
  node: BitNode | undefined,
  level: number,
  pos: number,
  a: Digits,
  b: Digits,
  lowTight: boolean,
  highTight: boolean,
  out: Digits,
): boolean {
  if (node === undefined) {
    // Nothing set below here: the first ordinal the lower bound allows is free.
    for (let i = pos; i < out.length; i++) out[i] = lowTight ? a[i]! : 0;
    return true;
  }
  if (node.n >= span[level]!) return false;
  const from = lowTight ? a[pos]! : 0;
  const to = highTight ? b[pos]! : 31;
  if (level === 1) {
    for (let i = from; i <= to; i++) {
      const w = (node.c[i] as number | undefined) ?? 0;
      const lo = lowTight && i === from ? a[pos + 1]! : 0;
      const hi = highTight && i === to ? b[pos + 1]! : 31;
      const free = ~w & rangeMask(lo, hi);
      if (free !== 0) {
        out[pos] = i;
        out[pos + 1] = 31 - Math.clz32(free & -free);
        return true;
      }
    }
    return false;
  }
  for (let i = from; i <= to; i++) {
    out[pos] = i;
    if (search(node.c[i] as BitNode | undefined, level - 1, pos + 1, a, b, lowTight && i === from, highTight && i === to, out))
      return true;
  }
  return false;
}

/** Bits set in a 32-bit word (SWAR popcount). */
function popcount(w: number): number {
  let v = w - ((w >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * The number of ordinals set in [a, b] (inclusive; a ≤ b). Like firstClear it descends only along the
 * two bounds: a subtree wholly inside them counts by its `n`, so the cost is two root-to-leaf paths of
 * at most 32 children each, whatever the size of the range.
 */
export function countSetIn(bm: Bitmap, a: Digits, b: Digits): number {
  return countIn(bm.root, bm.levels, 0, a, b, true, true);
}

function countIn(node: BitNode | undefined, level: number, pos: number, a: Digits, b: Digits, lowTight: boolean, highTight: boolean): number {
  if (node === undefined) return 0;
  if (!lowTight && !highTight) return node.n;
  const from = lowTight ? a[pos]! : 0;
  const to = highTight ? b[pos]! : 31;
  let total = 0;
  if (level === 1) {
    for (let i = from; i <= to; i++) {
      const w = node.c[i] as number | undefined;
      if (w === undefined) continue;
      const lo = lowTight && i === from ? a[pos + 1]! : 0;
      const hi = highTight && i === to ? b[pos + 1]! : 31;
      total += popcount(w & rangeMask(lo, hi));
    }
    return total;
  }
  for (let i = from; i <= to; i++)
    total += countIn(node.c[i] as BitNode | undefined, level - 1, pos + 1, a, b, lowTight && i === from, highTight && i === to);
  return total;
}

/** -1, 0 or 1 as ordinal a is below, equal to or above b. */
export function compare(a: Digits, b: Digits): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** a + 1, or null past the largest ordinal the digits can hold. */
export function increment(a: Digits): Digits | null {
  const out = a.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 31) {
      out[i]!++;
      return out;
    }
    out[i] = 0;
  }
  return null;
}

/** a − 1, or null below zero. */
export function decrement(a: Digits): Digits | null {
  const out = a.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! > 0) {
      out[i]!--;
      return out;
    }
    out[i] = 31;
  }
  return null;
}

/** The digits of an ordinal (numbers below 2^53 stay numbers; larger IPv6 ordinals go through bigint). */
export function digitsOf(ordinal: bigint, levels: number): Digits {
  if (ordinal < 9007199254740992n) return digitsOfNumber(Number(ordinal), levels);
  const out: Digits = new Array(levels + 1);
  let v = ordinal;
  for (let i = levels; i >= 0; i--) {
    out[i] = Number(v & 31n);
    v >>= 5n;
  }
  return out;
}

/** digitsOf for an ordinal below 2^53 given as a number (every IPv4 ordinal): no bigint on the way. */
export function digitsOfNumber(n: number, levels: number): Digits {
  const out: Digits = new Array(levels + 1);
  if (n < 4294967296) {
    for (let i = levels; i >= 0; i--) {
      out[i] = n & 31;
      n >>>= 5;
    }
    return out;
  }
  for (let i = levels; i >= 0; i--) {
    out[i] = n % 32;
    n = Math.floor(n / 32);
  }
  return out;
}

export function ordinalOf(d: Digits): bigint {
  // Up to ten digits (50 bits) fit a number exactly; beyond that, bigint.
  if (d.length <= 10) {
    let n = 0;
    for (const x of d) n = n * 32 + x;
    return BigInt(n);
  }
  let v = 0n;
  for (const x of d) v = (v << 5n) | BigInt(x);
  return v;
}

/** The number an ordinal's digits stand for, when below 2^50 (all IPv4 ordinals): the fast path. */
export function smallOrdinalOf(d: Digits): number {
  let n = 0;
  for (const x of d) n = n * 32 + x;
  return n;
}
