import { invalid } from "../domain/errors.js";

/**
 * Named crash points, for the crash suites: `NETLEDGER_CRASH_AT=POINT[:N]` makes this process kill
 * itself with SIGKILL (nothing flushed, no handler run: what a power cut leaves of the process) the
 * N-th time (default the first) it reaches POINT. Every write transaction passes exactly one point
 * before its COMMIT and one after it:
 *
 * - `before-commit`  inside a write transaction that appends events, before COMMIT;
 * - `after-commit`   after COMMIT of a transaction that records no effect outcome: its effect intents
 *                    are durable, and no call they ask for has been made yet;
 * - `after-call`     a driver call has answered (or failed), its outcome not yet submitted;
 * - `after-outcome`  after COMMIT of a transaction that records an effect outcome (and whatever the
 *                    outcome leads to), before any call that asks for is made.
 *
 * Unset, each point costs one counter increment. Hits are counted either way (`crashPointHits`), so a
 * crash-free run tells the suites which N reaches a point inside which command.
 */
export const crashPointNames = ["before-commit", "after-commit", "after-call", "after-outcome"] as const;
export type CrashPoint = (typeof crashPointNames)[number];

const crashEnvVar = "NETLEDGER_CRASH_AT";

const hits: Record<CrashPoint, number> = { "before-commit": 0, "after-commit": 0, "after-call": 0, "after-outcome": 0 };

interface Armed {
  point: CrashPoint;
  nth: number;
}

let armed: Armed | null | undefined;

/** Parses a NETLEDGER_CRASH_AT value; a malformed one is an InvalidParameter that says what is allowed. */
export function parseCrashSpec(text: string | undefined): Armed | null {
  if (text === undefined || text === "") return null;
  const m = /^([a-z-]+)(?::(\d+))?$/.exec(text.trim());
  const point = m?.[1] as CrashPoint | undefined;
  const nth = m?.[2] === undefined ? 1 : Number(m[2]);
  if (!point || !crashPointNames.includes(point) || nth < 1)
    throw invalid(`${crashEnvVar}="${text}" is not a crash point: expected POINT[:N] with POINT one of ${crashPointNames.join(", ")} and N ≥ 1`);
  return { point, nth };
}

/** Reads the environment once; called at open so that a bad value is refused before anything is written. */
export function armCrashPoints(env: NodeJS.ProcessEnv = process.env): void {
  if (armed === undefined) armed = parseCrashSpec(env[crashEnvVar]);
}

/** Passes a named point: counts it, and dies here if this is the armed one. */
export function crashPoint(point: CrashPoint): void {
  const n = ++hits[point];
  if (armed === undefined) armCrashPoints();
  if (armed && armed.point === point && armed.nth === n) process.kill(process.pid, "SIGKILL");
}

/** How many times each point has been passed in this process. */
export function crashPointHits(): Readonly<Record<CrashPoint, number>> {
  return { ...hits };
}
