import * as B from "./bitmap.js";
import type { Bitmap, Digits } from "./bitmap.js";

/**
 * A pool's allocator: the bitmap of taken ordinals, the window dynamic allocation draws from (the
 * whole subnet, or the --ip-range), and the last ordinal it handed out. The next allocation is the
 * first free ordinal after the last one, wrapping round to the start of the window, so an address
 * that was just released is not handed out again at once (libnetwork's serial allocation).
 *
 * Plain data, digits throughout (see bitmap.ts): decide() reads it to choose (`peekNext`), the event
 * that records the choice writes it (`claim`), and both cost the same whatever the pool's size.
 */
export interface Allocator {
  bitmap: Bitmap;
  /** First and last ordinal of the dynamic window. */
  lo: Digits;
  hi: Digits;
  /** The last ordinal handed out dynamically; starts at `hi` so that the first search starts at `lo`. */
  last: Digits;
}

export function newAllocator(hostBits: number, lo: bigint, hi: bigint): Allocator {
  const bitmap = B.emptyBitmap(hostBits);
  const hiDigits = B.digitsOf(hi, bitmap.levels);
  return { bitmap, lo: B.digitsOf(lo, bitmap.levels), hi: hiDigits, last: hiDigits };
}

/** The ordinal the next dynamic allocation takes, or null when the window is full. Reads only. */
export function peekNext(al: Allocator): Digits | null {
  const { bitmap, lo, hi, last } = al;
  if (B.compare(last, hi) >= 0 || B.compare(last, lo) < 0) return B.firstClear(bitmap, lo, hi);
  // After the last one up to the end of the window, then round from the start (the last is taken).
  return B.firstClear(bitmap, B.increment(last)!, hi) ?? B.firstClear(bitmap, lo, last);
}

/** Records an ordinal as taken; `dynamic` when the allocator chose it (it moves the cursor). False if taken. */
export function claim(al: Allocator, d: Digits, dynamic: boolean): boolean {
  if (!B.add(al.bitmap, d)) return false;
  if (dynamic) al.last = d;
  return true;
}

export function release(al: Allocator, d: Digits): boolean {
  return B.remove(al.bitmap, d);
}

/** Chooses and claims in one step: the allocator on its own, as the benchmark measures it. */
export function takeNext(al: Allocator): Digits | null {
  const d = peekNext(al);
  if (d) claim(al, d, true);
  return d;
}
