/**
 * The next batch of a group commit: from the front of `queue`, at most `maxCount` items and at most
 * `maxBytes` of them, the first always (one item too large alone is still sent, and refused on its own).
 * Removes them from `queue`.
 */
export function takeBatch<T extends { bytes: number }>(queue: T[], maxCount: number, maxBytes: number): T[] {
  let n = 0;
  let bytes = 0;
  while (n < queue.length && n < maxCount && (n === 0 || bytes + queue[n]!.bytes <= maxBytes)) bytes += queue[n++]!.bytes;
  return queue.splice(0, n);
}
