import { isNetledgerError, type NetledgerError } from "../../src/domain/errors.js";

/** Waits until `check` holds, looking every few milliseconds (no timing is asserted: the test's timeout bounds it). */
export async function until(check: () => boolean | Promise<boolean>, everyMs = 5): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
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
