import type { z } from "zod";

/**
 * What a zod schema found wrong, in one line a person can act on: each issue as `path: message` (the
 * message alone at the top level), joined by "; ", the first `max` of them. Every place that refuses
 * a value by its schema (commands, REST bodies, driver answers, events read back) says it this way.
 */
export function issuesText(error: z.ZodError, max = Infinity): string {
  return error.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`)
    .join("; ");
}
