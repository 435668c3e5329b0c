import Database from "better-sqlite3";
import type { StateView } from "../../src/domain/views.js";
import type { ExternalState } from "./externalDriver.js";

/**
 * Checks the crash and property suites share (invariants 5 and 6 of docs/architecture.md). Each returns the problems
 * it found as sentences, so a failing test says what is wrong, not only that something is.
 */

/** A state view without what two runs cannot share: creation times. Ids derive from request ids. */
export function comparableView(v: StateView): Omit<StateView, "seq"> {
  const noTime = <T extends { createdAt: string }>({ createdAt: _, ...rest }: T) => rest;
  return {
    networks: v.networks.map(noTime) as never,
    endpoints: v.endpoints.map(noTime) as never,
    sandboxes: v.sandboxes.map(noTime) as never,
    effects: v.effects,
  };
}

/**
 * No address leaked: every address the driver holds is held by exactly one endpoint the controller
 * knows, and every endpoint's address is one the driver holds.
 *
 * IPAM (src/domain/ipam, being built) slots in here: every address its pools hand out must be held by
 * a live endpoint, and every deleted endpoint's address and deleted network's pool must be free again.
 */
export function addressLeaks(v: StateView, ext: ExternalState): string[] {
  const problems: string[] = [];
  const held = new Map<string, string>();
  for (const e of v.endpoints) {
    if (e.ipv4 === null) continue;
    const other = held.get(e.ipv4);
    if (other) problems.push(`address ${e.ipv4} is held by endpoints ${other} and ${e.id}`);
    held.set(e.ipv4, e.id);
  }
  for (const [id, e] of Object.entries(ext.endpoints)) {
    if (held.get(e.address) !== id) problems.push(`the driver holds ${e.address} for endpoint ${id}, which the controller does not know with it: leaked`);
  }
  for (const [address, id] of held) {
    if (ext.endpoints[id]?.address !== address) problems.push(`endpoint ${id} holds ${address}, which the driver does not hold for it`);
  }
  return problems;
}

/**
 * The driver's state is the projection of the controller's (once every effect is settled): the
 * active networks, the created or joined endpoints, the joins, the ready sandboxes with a namespace.
 */
export function driverMismatch(v: StateView, ext: ExternalState, driver: string): string[] {
  const problems: string[] = [];
  const same = (what: string, want: string[], have: string[]) => {
    const w = new Set(want);
    const h = new Set(have);
    for (const x of w) if (!h.has(x)) problems.push(`${what} ${x} is in the controller but not in the driver`);
    for (const x of h) if (!w.has(x)) problems.push(`${what} ${x} is in the driver but not in the controller`);
  };
  const networks = v.networks.filter((n) => n.driver === driver);
  const ours = new Set(networks.map((n) => n.id));
  same("network", networks.filter((n) => n.state === "active").map((n) => n.id), Object.keys(ext.networks));
  const endpoints = v.endpoints.filter((e) => ours.has(e.network));
  same("endpoint", endpoints.filter((e) => e.state === "created" || e.state === "joined").map((e) => e.id), Object.keys(ext.endpoints));
  same(
    "join",
    endpoints.filter((e) => e.state === "joined").map((e) => `${e.id}→${e.sandbox}`),
    Object.entries(ext.joins).map(([id, j]) => `${id}→${j.sandbox}`),
  );
  same("sandbox", v.sandboxes.filter((s) => s.state === "ready" && s.key !== null).map((s) => s.id), Object.keys(ext.sandboxes));
  return problems;
}

/**
 * Invariant 5 over a whole log: every outcome has exactly one earlier intent (and names it as its
 * causation), no effect has two outcomes, an attempt is recorded only for an open effect, and at no
 * point are two effects open on one resource.
 */
export function effectLogProblems(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const problems: string[] = [];
    const open = new Map<number, string>();
    const openByResource = new Map<string, number>();
    const settled = new Set<number>();
    const rows = db
      .prepare("SELECT seq, type, data, causation FROM events WHERE type LIKE 'effect.%' ORDER BY seq")
      .iterate() as IterableIterator<{ seq: number; type: string; data: string; causation: number | null }>;
    for (const r of rows) {
      const d = JSON.parse(r.data) as { effect?: number; resource?: string };
      if (r.type === "effect.requested") {
        const busy = openByResource.get(d.resource!);
        if (busy !== undefined) problems.push(`event ${r.seq}: effect requested on ${d.resource} while effect ${busy} is open on it`);
        open.set(r.seq, d.resource!);
        openByResource.set(d.resource!, r.seq);
      } else if (r.type === "effect.attempted" || r.type === "effect.unsent") {
        // An attempt, or an attempt that sent nothing: neither is an outcome.
        if (!open.has(d.effect!)) problems.push(`event ${r.seq}: attempt at effect ${d.effect}, which is not open`);
      } else {
        const id = d.effect!;
        if (settled.has(id)) problems.push(`event ${r.seq}: a second outcome for effect ${id}`);
        else if (!open.has(id)) problems.push(`event ${r.seq}: outcome for effect ${id}, which has no earlier intent`);
        if (r.causation !== id) problems.push(`event ${r.seq}: outcome of effect ${id} names ${r.causation} as its cause`);
        const resource = open.get(id);
        if (resource !== undefined && openByResource.get(resource) === id) openByResource.delete(resource);
        open.delete(id);
        settled.add(id);
      }
    }
    return problems;
  } finally {
    db.close();
  }
}
