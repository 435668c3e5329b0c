import * as C from "../domain/collection.js";
import type { EntityRef } from "../effects/sink.js";
import { type EndpointView, endpointView, type NetworkView, networkView, type SandboxView, sandboxView } from "../domain/views.js";
import type { Store } from "../store/store.js";
import { loadState } from "./loadState.js";

/**
 * The entity as the first run of a request left it, for a repeat of that request whose entity has been
 * deleted since: the contract (interface.md, request ids) answers a repeat with the first result, and
 * the state where that run settled still holds it. Undefined when the log cannot say.
 */
export function firstResultView(store: Store, requestId: string, entity: EntityRef): NetworkView | EndpointView | SandboxView | undefined {
  const seq = store.requestSettledSeq(requestId);
  if (seq === undefined) return undefined;
  const { state } = loadState(store, { until: seq });
  switch (entity.kind) {
    case "network": {
      const n = C.get(state.networks, entity.id);
      return n && networkView(n);
    }
    case "endpoint": {
      const e = C.get(state.endpoints, entity.id);
      return e && endpointView(e);
    }
    case "sandbox": {
      const sb = C.get(state.sandboxes, entity.id);
      return sb && sandboxView(sb);
    }
  }
}
