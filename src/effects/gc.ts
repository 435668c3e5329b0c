import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as C from "../domain/collection.js";
import type { State } from "../domain/state.js";
import type { Firewall } from "../drivers/bridge/firewall.js";
import { listTable } from "../drivers/bridge/nftables.js";
import { chains, firewallPlan, ruleOwner } from "../drivers/bridge/ruleset.js";
import type { SandboxFiles } from "../drivers/netns/files.js";
import { ipBatch, linkAlias, listLinks, step } from "../drivers/netns/iproute.js";
import { deleteNamespace, isNamespace, namespaceOwner } from "../drivers/netns/namespaces.js";
import { type Owner, ownerFileSuffix, parseOwnerAlias } from "../drivers/netns/ownership.js";

/**
 * `netledger gc`: kernel objects and files that carry this database's id and that its state no longer
 * knows — links (bridges, veths, in the host's namespace or in a sandbox's), namespaces under the run
 * directory, rules of its nftables table, sandbox file directories — found, and removed unless it is a
 * dry run. What carries another database's id, or none, is never touched: that is what the ids are for.
 * An object whose entity has a driver call in flight is in use, not garbage.
 */
export interface Garbage {
  kind: "link" | "namespace" | "nftables-table" | "nftables-rule" | "sandbox-files";
  /** The link, path, table or rule (chain and handle). */
  name: string;
  /** Where it is: a namespace path for a link inside one, the table for a rule. */
  where?: string;
  reason: string;
}

export interface GcReport {
  dryRun: boolean;
  found: Garbage[];
  /** What could not be removed, and why. */
  errors: string[];
}

export interface GcContext {
  state: State;
  databaseId: string;
  netnsDir: string;
  files: SandboxFiles;
  /** The nftables projection; absent where netledger does not program nftables (not root). */
  firewall?: Firewall;
}

/** Whether an object owned by this entity is still wanted by the state. */
function known(s: State, o: Owner, inSandbox?: string): boolean {
  if (o.kind === "network") return C.has(s.networks, o.id);
  const ep = C.get(s.endpoints, o.id);
  if (!ep) return false;
  if (C.has(s.effectsByResource, ep.id)) return true;
  return inSandbox === undefined ? ep.sandbox !== null : ep.sandbox === inSandbox;
}

function hostLinks(ctx: GcContext): Garbage[] {
  const out: Garbage[] = [];
  for (const name of readdirSync("/sys/class/net")) {
    const o = parseOwnerAlias(linkAlias(name));
    if (!o || o.databaseId !== ctx.databaseId || known(ctx.state, o)) continue;
    out.push({ kind: "link", name, reason: `${o.kind} ${o.id.slice(0, 12)} is not in the state${o.kind === "endpoint" ? " or not joined" : ""}` });
  }
  return out;
}

async function sandboxLinks(ctx: GcContext): Promise<Garbage[]> {
  const out: Garbage[] = [];
  for (const sb of C.values(ctx.state.sandboxes)) {
    if (sb.key === null || !isNamespace(sb.key)) continue;
    for (const l of await listLinks({ netns: sb.key })) {
      const o = parseOwnerAlias(l.alias);
      if (!o || o.databaseId !== ctx.databaseId || known(ctx.state, o, sb.id)) continue;
      out.push({ kind: "link", name: l.name, where: sb.key, reason: `endpoint ${o.id.slice(0, 12)} is not joined to sandbox ${sb.id.slice(0, 12)}` });
    }
  }
  return out;
}

function namespaces(ctx: GcContext): Garbage[] {
  let names: string[];
  try {
    names = readdirSync(ctx.netnsDir);
  } catch {
    return [];
  }
  const out: Garbage[] = [];
  const seen = new Set<string>();
  for (const f of names) {
    const id = f.endsWith(ownerFileSuffix) ? f.slice(0, -ownerFileSuffix.length) : f;
    if (seen.has(id)) continue;
    seen.add(id);
    const path = join(ctx.netnsDir, id);
    if (namespaceOwner(path) !== ctx.databaseId) continue;
    const sb = C.get(ctx.state.sandboxes, id);
    if (sb && sb.key === path) continue;
    out.push({ kind: "namespace", name: path, reason: `sandbox ${id.slice(0, 12)} is not in the state` });
  }
  return out;
}

const commentOf = (rule: string): string | undefined => /comment "([^"]*)"/.exec(rule)?.[1];

/** Rules of this database's table that the ruleset of the state does not have (by chain and comment). */
async function nftGarbage(ctx: GcContext): Promise<Garbage[]> {
  const plan = firewallPlan(ctx.state, ctx.databaseId);
  const table = await listTable(plan.table);
  if (!table) return [];
  if (plan.networks.length === 0) return [{ kind: "nftables-table", name: `inet ${plan.table}`, reason: "no bridge network needs it" }];
  const c = chains(plan);
  const wanted = new Map<string, (string | undefined)[]>([
    ["forward", c.forward.map(commentOf)],
    ["ports", c.ports.map(commentOf)],
    ["postrouting", c.postrouting.map(commentOf)],
    ["prerouting", [undefined]],
    ["output", [undefined]],
  ]);
  const out: Garbage[] = [];
  for (const r of table.rules) {
    const left = wanted.get(r.chain) ?? [];
    const i = left.indexOf(r.comment);
    if (i >= 0) {
      left.splice(i, 1);
      continue;
    }
    const o = ruleOwner(r.comment);
    out.push({
      kind: "nftables-rule",
      name: `${r.chain} handle ${r.handle}`,
      where: `inet ${plan.table}`,
      reason: o ? `${o.kind} ${o.id.slice(0, 12)} needs no such rule` : `not a rule of this database's ruleset${r.comment ? ` (comment "${r.comment}")` : ""}`,
    });
  }
  return out;
}

function sandboxFiles(ctx: GcContext): Garbage[] {
  return ctx.files
    .owned()
    .filter((id) => !C.has(ctx.state.sandboxes, id))
    .map((id) => ({ kind: "sandbox-files" as const, name: ctx.files.dir(id), reason: `sandbox ${id.slice(0, 12)} is not in the state` }));
}

export async function collectGarbage(ctx: GcContext, dryRun: boolean): Promise<GcReport> {
  const kernel = ctx.firewall !== undefined;
  const found: Garbage[] = [
    ...(kernel ? hostLinks(ctx) : []),
    ...(kernel ? await sandboxLinks(ctx) : []),
    ...namespaces(ctx),
    ...(kernel ? await nftGarbage(ctx) : []),
    ...sandboxFiles(ctx),
  ];
  const errors: string[] = [];
  if (dryRun) return { dryRun, found, errors };
  const attempt = async (what: string, fn: () => Promise<void> | void) => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  for (const g of found) {
    if (g.kind === "link") await attempt(g.name, () => ipBatch([step.delete(g.name)], g.where ? { netns: g.where } : {}));
    else if (g.kind === "namespace") await attempt(g.name, () => deleteNamespace(g.name, ctx.databaseId));
    else if (g.kind === "sandbox-files") await attempt(g.name, () => ctx.files.remove(g.name.split("/").at(-1)!));
  }
  // The table is replaced by the state's ruleset in one step, which drops every stale rule (or the table).
  if (found.some((g) => g.kind === "nftables-rule" || g.kind === "nftables-table"))
    await attempt("nftables", () => ctx.firewall!.rebuild(ctx.state));
  return { dryRun, found, errors };
}
