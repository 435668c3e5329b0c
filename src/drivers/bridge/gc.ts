import type { Garbage, GarbageCollector, GcContext } from "../contract.js";
import { attempt } from "../gcAttempt.js";
import { deleteLink, listLinks } from "../kernel/rtnetlink.js";
import { ownerWanted, parseOwnerAlias } from "../netns/ownership.js";
import type { Firewall } from "./firewall.js";
import { listTable } from "./nftables.js";
import { chains, firewallPlan, ruleOwner } from "./ruleset.js";

/**
 * The bridge driver's garbage: links in the host's namespace (bridges, veth host ends) whose alias
 * names this database and an entity the state no longer wants, and rules of its nftables table that
 * the state's ruleset does not have. What carries another database's id, or none, is never touched.
 */
export function bridgeGarbage(firewall: Firewall): GarbageCollector {
  return {
    async find(ctx) {
      return [...(await hostLinks(ctx)), ...(await nftGarbage(ctx))];
    },
    async remove(ctx, found) {
      const errors: string[] = [];
      const links = found.some((g) => g.kind === "link" && g.where === undefined) ? await listLinks() : [];
      for (const g of found) {
        const link = g.kind === "link" && g.where === undefined ? links.find((l) => l.name === g.name) : undefined;
        if (link) await attempt(errors, g.name, () => deleteLink(link.index));
      }
      // The table is replaced by the state's ruleset in one step, which drops every stale rule (or the table).
      if (found.some((g) => g.kind === "nftables-rule" || g.kind === "nftables-table"))
        await attempt(errors, "nftables", () => firewall.rebuild(ctx.state));
      return errors;
    },
  };
}

/** Listed through rtnetlink in the caller's namespace (sysfs would show its mounter's). */
async function hostLinks(ctx: GcContext): Promise<Garbage[]> {
  const out: Garbage[] = [];
  for (const { name, alias } of await listLinks()) {
    const o = parseOwnerAlias(alias);
    if (!o || o.databaseId !== ctx.databaseId || ownerWanted(ctx.state, o)) continue;
    out.push({ kind: "link", name, reason: `${o.kind} ${o.id.slice(0, 12)} is not in the state${o.kind === "endpoint" ? " or not joined" : ""}` });
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
