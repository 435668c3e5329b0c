import type { Garbage, GarbageCollector, GcContext } from "../drivers/contract.js";

/**
 * `netledger gc`: kernel objects and files that carry this database's id and that its state no longer
 * knows — links (bridges, veths, in the host's namespace or in a sandbox's), namespaces under the run
 * directory, rules of its nftables table, sandbox file directories — found, and removed unless it is a
 * dry run. Each part of the driver layer (a driver, the sandbox layer) names and removes its own through
 * the contract's GarbageCollector; this only asks them all. What carries another database's id, or
 * none, is never touched: that is what the ids are for.
 */
export interface GcReport {
  dryRun: boolean;
  found: Garbage[];
  /** What could not be removed, and why. */
  errors: string[];
}

/** The report lists from the host's links inwards: links in the host's namespace, links in sandboxes, namespaces, nftables, files. */
function rank(g: Garbage): number {
  switch (g.kind) {
    case "link":
      return g.where === undefined ? 0 : 1;
    case "namespace":
      return 2;
    case "nftables-table":
    case "nftables-rule":
    case "overlay-peer":
      return 3;
    case "sandbox-files":
      return 4;
  }
}

/** Every collector finds before any removes (a veth's host end takes its sandbox end with it). */
export async function collectGarbage(collectors: readonly GarbageCollector[], ctx: GcContext, dryRun: boolean): Promise<GcReport> {
  const perCollector: Garbage[][] = [];
  for (const c of collectors) perCollector.push(await c.find(ctx));
  const found = perCollector.flat().sort((a, b) => rank(a) - rank(b));
  const errors: string[] = [];
  if (dryRun) return { dryRun, found, errors };
  for (const [i, c] of collectors.entries()) if (perCollector[i]!.length > 0) errors.push(...(await c.remove(ctx, perCollector[i]!)));
  return { dryRun, found, errors };
}
