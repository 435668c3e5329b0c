import { setup } from "xstate";

/**
 * A network's lifecycle. `*_OK` / `*_FAILED` come from the outcome of the driver call (effect) that
 * the transitional state waits on; a driver without side effects goes through both steps in one event.
 * A failed DeleteNetwork still ends the network: libnetwork logs the driver error and deletes anyway
 * (network.go deleteNetwork; plugin-protocol §9 check 24).
 */
export const networkMachine = setup({}).createMachine({
  id: "network",
  initial: "none",
  states: {
    none: { on: { CREATE: "creating" } },
    creating: { on: { CREATE_OK: "active", CREATE_FAILED: "failed" } },
    active: { on: { DELETE: "deleting", REPROGRAM: "creating" } },
    failed: { on: { DELETE: "deleting" } },
    // DELETE_ABORTED: a forced delete whose endpoints could not all be removed leaves the network as it was.
    deleting: { on: { DELETE_OK: "deleted", DELETE_FAILED: "deleted", DELETE_ABORTED: "active" } },
    deleted: { type: "final" },
  },
});
