/**
 * One removal of `netledger gc`: a failure is noted as "what: why" and the collection goes on, so that
 * one object that will not go does not keep the others.
 */
export async function attempt(errors: string[], what: string, fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    errors.push(`${what}: ${(e as Error).message}`);
  }
}
