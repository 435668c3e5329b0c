/**
 * How many events a log runs past its latest snapshot before a writer snapshots again, for the local
 * log and the cluster's alike: at least `floor`, and twice the entities the state holds. A snapshot
 * rewrites every entity, so writing one costs about what replaying twice as many events as the state
 * has entities costs: it stays a small share of the work of writing the stretch however large the
 * state grows, while a reader replays a tail that is short beside the snapshot it reads. The floor
 * bounds that tail when the state is small. `entities`: the local log counts the state's now; the
 * cluster's counts the last snapshot's (clusterSnapshotDue).
 */
export function snapshotStretch(entities: number, floor: number): number {
  return Math.max(floor, 2 * entities);
}

/**
 * Whether a cluster append that moved the head from `from` to `to` writes a snapshot of the global
 * part: with a fixed `every`, at each multiple of it the append crosses; else once the head is
 * `stretch` past `last`, the snapshot the writer knows of (or tried last). The cluster's stretch
 * counts the entities that snapshot held rather than the state's now, so a log that only grows is
 * still snapshotted, at geometrically spaced seqs, and so still trimmed.
 */
export function clusterSnapshotDue(o: { from: number; to: number; last: number; every: number | undefined; stretch: number }): boolean {
  if (o.every !== undefined) return Math.floor(o.to / o.every) > Math.floor(o.from / o.every);
  return o.to - o.last >= o.stretch;
}
