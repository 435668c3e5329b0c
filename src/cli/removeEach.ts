import { isNetledgerError, type NetledgerError } from "../domain/errors.js";
import type { CliContext, GlobalOptions } from "./context.js";
import { errorText } from "./output.js";

/**
 * `rm a b c` as Docker does it: each is tried; those removed are printed (the reference as given), the
 * failures are named on stderr, and the command fails with the last failure's code if any failed.
 */
export async function removeEach(
  cli: CliContext,
  g: GlobalOptions,
  refs: readonly string[],
  remove: (ref: string) => Promise<unknown>,
  /** What --json prints, given the references removed and what each removal answered; undefined prints nothing. */
  asJson: (refs: string[], answers: unknown[]) => unknown,
): Promise<void> {
  const failures: NetledgerError[] = [];
  const removed: string[] = [];
  const answers: unknown[] = [];
  for (const r of refs) {
    try {
      answers.push(await remove(r));
      removed.push(r);
    } catch (e) {
      if (!isNetledgerError(e)) throw e;
      failures.push(e);
    }
  }
  if (g.json) {
    const doc = asJson(removed, answers);
    if (doc !== undefined) cli.io.out(JSON.stringify(doc) + "\n");
  } else for (const r of removed) cli.io.out(r + "\n");
  if (failures.length > 0) {
    for (const f of failures.slice(0, -1)) cli.io.err(errorText(f, Boolean(g.json)));
    throw failures.at(-1);
  }
}

/**
 * `endpoint rm` and `sandbox rm` with --json: one name prints its answer `{"removed": ID}` as before;
 * several print `{"removed": [ID…]}`, the ids of those removed.
 */
export const removedJson =
  (given: readonly string[]) =>
  (_refs: string[], answers: unknown[]): unknown => {
    if (given.length === 1) return answers[0];
    return { removed: answers.map((a) => (a as { removed: unknown }).removed) };
  };
