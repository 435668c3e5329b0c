import { type EventFrom, setup, type StateValueFrom } from "xstate";

/**
 * A network's lifecycle. `*_OK` / `*_FAILED` come from the outcome of the driver call (effect) that
 * the transitional state waits on; a driver without side effects goes through both steps in one event.
 * A failed DeleteNetwork still ends the network: libnetwork logs the driver error and deletes anyway
 * (network.go deleteNetwork; plugin-protocol §9 check 24).
 */
/** The events a network lifecycle takes: the machine's config is checked against them. */
const networkEvents = ["CREATE", "CREATE_OK", "CREATE_FAILED", "DELETE", "DELETE_OK", "DELETE_FAILED", "DELETE_ABORTED", "REPROGRAM"] as const;

export const networkMachine = setup({ types: { events: {} as { type: (typeof networkEvents)[number] } } }).createMachine({
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

/** A network's lifecycle state, as the machine names its states. */
export type NetworkLifecycle = StateValueFrom<typeof networkMachine>;
/** An event of the network lifecycle. */
export type NetworkLifecycleEvent = EventFrom<typeof networkMachine>["type"];
/** Every state of the lifecycle, read off the machine (for schemas that list them, as the API's views do). */
export const networkStates = Object.keys(networkMachine.states) as [NetworkLifecycle, ...NetworkLifecycle[]];
