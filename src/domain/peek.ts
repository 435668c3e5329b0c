/**
 * What an immer draft holds now, read without going through its proxy. Reading a nested object
 * through a draft makes it a draft too (immer copies the parent to hold the child's proxy), and every
 * draft is walked and frozen again when the batch finishes: for a read-only look-up that is all waste.
 *
 * immer keeps each draft's state under the registered symbol "immer-state": the base, and a shallow
 * copy once the draft or a child of it was drafted. The copy holds the children as they are now
 * (drafts where drafted, the frozen base values elsewhere), so a read through it sees every change
 * made through the draft. These are immer's internals: `enablePeek` checks them against a real draft
 * once (evolve.ts calls it, having immer loaded; the read path does not load immer), and until it has
 * passed `peek` gives the draft itself back: a correct read through the proxy, only slower.
 */
const draftState = Symbol.for("immer-state");

interface DraftState {
  base_?: unknown;
  copy_?: unknown;
}

let enabled = false;

function latest(o: object): object | undefined {
  const st = (o as { [draftState]?: DraftState })[draftState];
  const v = st?.copy_ ?? st?.base_;
  return typeof v === "object" && v !== null ? v : undefined;
}

/** Turns peeking on if immer's internals read as expected: a change made through a draft is seen, and a child only read is not drafted. */
interface Probe {
  a: { b: number };
  c: { e: number };
}

export function enablePeek(createDraft: (base: Probe) => Probe): boolean {
  const d = createDraft({ a: { b: 1 }, c: { e: 1 } });
  d.a.b = 2;
  const now = latest(d) as { a?: object; c?: object } | undefined;
  const a = now?.a && (latest(now.a) as { b?: number } | undefined);
  const c = now?.c;
  enabled = a?.b === 2 && c !== undefined && latest(c) === undefined && (c as { e?: number }).e === 1;
  return enabled;
}

export function peek<T extends object>(o: T): T {
  if (!enabled) return o;
  return (latest(o) as T | undefined) ?? o;
}
