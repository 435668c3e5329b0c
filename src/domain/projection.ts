import * as C from "./collection.js";
import type { StoredEvent } from "./events.js";
import type { State } from "./state.js";

/**
 * What a batch of events touched, for the projections kept outside the log (hosts and resolv.conf
 * files, the nftables table): the networks and sandboxes whose derived view may have changed. Read
 * from the events and the states either side of them, so the cost follows the batch, not the state.
 */
export interface Touched {
  networks: Set<string>;
  sandboxes: Set<string>;
}

export function touched(before: State, after: State, events: readonly StoredEvent[]): Touched {
  const t: Touched = { networks: new Set(), sandboxes: new Set() };
  for (const e of events) {
    // Entity events and effect events both carry the entity as their stream.
    const id = e.stream;
    if (C.has(after.networks, id) || C.has(before.networks, id)) t.networks.add(id);
    else if (C.has(after.sandboxes, id) || C.has(before.sandboxes, id)) t.sandboxes.add(id);
    for (const s of [before, after]) {
      const ep = C.get(s.endpoints, id);
      if (!ep) continue;
      t.networks.add(ep.network);
      if (ep.sandbox !== null) t.sandboxes.add(ep.sandbox);
    }
  }
  return t;
}

/**
 * The sandboxes whose files may show what was touched: the touched ones (deleted ones too, so their
 * files go) and every sandbox with an endpoint on a touched network (its peers' records).
 */
export function sandboxesToRewrite(s: State, t: Touched): Set<string> {
  const out = new Set<string>(t.sandboxes);
  for (const nid of t.networks) {
    const n = C.get(s.networks, nid);
    if (!n) continue;
    for (const epId of C.keys(n.attached)) {
      const sb = C.get(s.endpoints, epId)?.sandbox;
      if (sb) out.add(sb);
    }
  }
  return out;
}
