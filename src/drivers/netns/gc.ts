import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as C from "../../domain/collection.js";
import type { Garbage, GarbageCollector, GcContext } from "../contract.js";
import { attempt } from "../gcAttempt.js";
import type { SandboxFiles } from "./files.js";
import { deleteInside } from "../kernel/namespaceLinks.js";
import { listLinks } from "./iproute.js";
import { deleteNamespace, isNamespace, namespaceOwner } from "./namespaces.js";
import { ownerFileSuffix, ownerWanted, parseOwnerAlias } from "./ownership.js";

export interface SandboxGarbageOptions {
  /** Where netledger binds the namespaces it makes (RUNDIR/netns). */
  netnsDir: string;
  files: SandboxFiles;
  /** Whether netledger programs the kernel here (root): only then are links inside sandboxes looked at. */
  kernel: boolean;
}

/**
 * The sandbox layer's garbage: links inside sandboxes' namespaces whose alias names an endpoint not
 * joined there, namespaces under the run directory that this database made for sandboxes it no longer
 * has, and the file directories of such sandboxes. Only what carries this database's id is looked at.
 */
export function sandboxGarbage(o: SandboxGarbageOptions): GarbageCollector {
  return {
    async find(ctx) {
      return [...(o.kernel ? await sandboxLinks(ctx) : []), ...namespaces(ctx, o.netnsDir), ...sandboxFiles(ctx, o.files)];
    },
    async remove(ctx, found) {
      const errors: string[] = [];
      for (const g of found) {
        if (g.kind === "link" && g.where !== undefined) {
          const netns = g.where;
          await attempt(errors, g.name, async () => {
            const link = (await listLinks({ netns })).find((l) => l.name === g.name);
            if (link) await deleteInside(netns, link.index);
          });
        } else if (g.kind === "namespace") await attempt(errors, g.name, () => deleteNamespace(g.name, ctx.databaseId));
        else if (g.kind === "sandbox-files") await attempt(errors, g.name, () => o.files.remove(g.name.split("/").at(-1)!));
      }
      return errors;
    },
  };
}

async function sandboxLinks(ctx: GcContext): Promise<Garbage[]> {
  const out: Garbage[] = [];
  for (const sb of C.values(ctx.state.sandboxes)) {
    if (sb.key === null || !isNamespace(sb.key)) continue;
    for (const l of await listLinks({ netns: sb.key })) {
      const o = parseOwnerAlias(l.alias);
      if (!o || o.databaseId !== ctx.databaseId || ownerWanted(ctx.state, o, sb.id)) continue;
      out.push({ kind: "link", name: l.name, where: sb.key, reason: `endpoint ${o.id.slice(0, 12)} is not joined to sandbox ${sb.id.slice(0, 12)}` });
    }
  }
  return out;
}

function namespaces(ctx: GcContext, netnsDir: string): Garbage[] {
  let names: string[];
  try {
    names = readdirSync(netnsDir);
  } catch {
    return [];
  }
  const out: Garbage[] = [];
  const seen = new Set<string>();
  for (const f of names) {
    const id = f.endsWith(ownerFileSuffix) ? f.slice(0, -ownerFileSuffix.length) : f;
    if (seen.has(id)) continue;
    seen.add(id);
    const path = join(netnsDir, id);
    if (namespaceOwner(path) !== ctx.databaseId) continue;
    const sb = C.get(ctx.state.sandboxes, id);
    if (sb && sb.key === path) continue;
    out.push({ kind: "namespace", name: path, reason: `sandbox ${id.slice(0, 12)} is not in the state` });
  }
  return out;
}

function sandboxFiles(ctx: GcContext, files: SandboxFiles): Garbage[] {
  return files
    .owned()
    .filter((id) => !C.has(ctx.state.sandboxes, id))
    .map((id) => ({ kind: "sandbox-files" as const, name: files.dir(id), reason: `sandbox ${id.slice(0, 12)} is not in the state` }));
}
