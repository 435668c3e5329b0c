import { writeFileSync } from "node:fs";

/**
 * For crash tests only. With NETLEDGER_TEST_HALT=POINT:FILE in the environment, a process that reaches
 * the named point writes its pid to FILE and then waits for ever, so that a test can SIGKILL it there,
 * half way through a driver call. Unset (always, outside tests) it costs one lookup.
 */
export async function haltPoint(point: string): Promise<void> {
  const spec = process.env["NETLEDGER_TEST_HALT"];
  if (!spec) return;
  const i = spec.indexOf(":");
  if (i < 0 || spec.slice(0, i) !== point) return;
  writeFileSync(spec.slice(i + 1), String(process.pid));
  await new Promise<never>(() => {});
}
