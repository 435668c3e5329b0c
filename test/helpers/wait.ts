import { isNetledgerError, type NetledgerError } from "../../src/domain/errors.js";

/**
 * Waits until `check` holds, looking every few milliseconds. No timing is asserted: the test's timeout
 * bounds it, or `within`, a generous bound that fails the test naming what never happened (a hang then
 * says where it was, and the test's teardown still has time to run).
 */
export async function until(check: () => boolean | Promise<boolean>, everyMs = 5, within?: { ms: number; what: string }): Promise<void> {
  const end = within ? Date.now() + within.ms : Infinity;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${within!.ms} ms: ${within!.what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The NetledgerError a command fails with; anything else (or success) fails the test. */
export async function failure(p: Promise<unknown>): Promise<NetledgerError> {
  try {
    await p;
  } catch (e) {
    if (isNetledgerError(e)) return e;
    throw e;
  }
  throw new Error("expected the command to fail");
}
