import type { StateView } from "../../../src/domain/views.js";
import type { Holdings } from "./server.js";

/**
 * Whether a plugin's record and netledger's state agree (docs/architecture.md, recovery): the plugin holds exactly the
 * networks and endpoints netledger has live (created, joined) on it, and exactly the joins netledger
 * has joined. Returns the differences as sentences.
 */
export function disagreements(v: StateView, driver: string, h: Holdings): string[] {
  const problems: string[] = [];
  const networks = new Set(v.networks.filter((n) => n.driver === driver && n.state === "active").map((n) => n.id));
  const onDriver = new Set(v.networks.filter((n) => n.driver === driver).map((n) => n.id));
  const eps = v.endpoints.filter((e) => onDriver.has(e.network));
  const live = new Set(eps.filter((e) => e.state === "created" || e.state === "joined").map((e) => e.id));
  const joined = new Set(eps.filter((e) => e.state === "joined").map((e) => e.id));
  const compare = (what: string, ours: Set<string>, theirs: Set<string>) => {
    for (const id of theirs) if (!ours.has(id)) problems.push(`the plugin holds ${what} ${id.slice(0, 12)}, which netledger does not have`);
    for (const id of ours) if (!theirs.has(id)) problems.push(`netledger has ${what} ${id.slice(0, 12)}, which the plugin does not hold`);
  };
  compare("network", networks, h.networks);
  compare("endpoint", live, h.endpoints);
  compare("join of endpoint", joined, h.joins);
  return problems;
}
