/**
 * The plugin client's retry schedule (moby pkg/plugins, plugin-protocol.md §3.3): before attempt n+1
 * wait min(1 s · 2^n, 30 s); give up when that wait would end past the budget (30 s in Docker) counted
 * from the first attempt. netledger's own budget is shorter by default: the effect layer retries a
 * plugin that cannot be reached with its own back-off, and a command does not wait 15 s for a plugin
 * that is not there.
 */
const dockerRetryBudgetMs = 30_000;

export function retryDelayMs(n: number): number {
  return Math.min(1000 * 2 ** Math.max(0, n), 30_000);
}

export function retryAbort(delayMs: number, elapsedMs: number, budgetMs = dockerRetryBudgetMs): boolean {
  return delayMs + elapsedMs >= budgetMs;
}
