import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";

const made: string[] = [];
const madeForFile: string[] = [];

/** A fresh directory under the system temp dir, removed after the test (even when it fails). */
export function tempDir(prefix = "netledger-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A path for a new database file in a fresh directory. */
export function tempDb(prefix?: string): string {
  return join(tempDir(prefix), "netledger.db");
}

afterEach(() => {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
});

/**
 * A fresh directory kept for every test of the file and removed after the last: for a fixture that is
 * costly to make (a log of a million events) and that the tests only read.
 */
export function fileTempDir(prefix = "netledger-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeForFile.push(dir);
  return dir;
}

afterAll(() => {
  while (madeForFile.length) rmSync(madeForFile.pop()!, { recursive: true, force: true });
});
