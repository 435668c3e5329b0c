import { type EventFrom, setup, type StateValueFrom } from "xstate";

/**
 * An endpoint's lifecycle, libnetwork's create → join → leave → delete. A failed Join leaves the
 * endpoint created (as libnetwork's sbJoin rolls back); a failed Leave keeps it joined so the leave
 * can be retried or forced; a failed create or delete leaves it `failed`, removable with --force.
 * FORCE_REMOVE ends it from any state without a driver call.
 */
/** The events an endpoint lifecycle takes: the machine's config is checked against them. */
const endpointEvents = ["CREATE", "CREATE_OK", "CREATE_FAILED", "JOIN", "JOIN_OK", "JOIN_FAILED", "LEAVE", "LEAVE_OK", "LEAVE_FAILED", "DELETE", "DELETE_OK", "DELETE_FAILED", "FORCE_REMOVE", "REPROGRAM"] as const;

export const endpointMachine = setup({ types: { events: {} as { type: (typeof endpointEvents)[number] } } }).createMachine({
  id: "endpoint",
  initial: "none",
  states: {
    none: { on: { CREATE: "creating" } },
    creating: { on: { CREATE_OK: "created", CREATE_FAILED: "failed", FORCE_REMOVE: "deleted" } },
    created: { on: { JOIN: "joining", DELETE: "deleting", FORCE_REMOVE: "deleted", REPROGRAM: "creating" } },
    joining: { on: { JOIN_OK: "joined", JOIN_FAILED: "created", FORCE_REMOVE: "deleted" } },
    joined: { on: { LEAVE: "leaving", FORCE_REMOVE: "deleted", REPROGRAM: "joining" } },
    leaving: { on: { LEAVE_OK: "created", LEAVE_FAILED: "joined", FORCE_REMOVE: "deleted" } },
    deleting: { on: { DELETE_OK: "deleted", DELETE_FAILED: "failed", FORCE_REMOVE: "deleted" } },
    failed: { on: { DELETE: "deleting", FORCE_REMOVE: "deleted" } },
    deleted: { type: "final" },
  },
});

/** An endpoint's lifecycle state, as the machine names its states. */
export type EndpointLifecycle = StateValueFrom<typeof endpointMachine>;
/** An event of the endpoint lifecycle. */
export type EndpointLifecycleEvent = EventFrom<typeof endpointMachine>["type"];
/** Every state of the lifecycle, read off the machine (for schemas that list them, as the API's views do). */
export const endpointStates = Object.keys(endpointMachine.states) as [EndpointLifecycle, ...EndpointLifecycle[]];
