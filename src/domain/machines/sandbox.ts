import { type EventFrom, setup, type StateValueFrom } from "xstate";

/** A sandbox's lifecycle: the container's network namespace, made, used, removed. */
/** The events a sandbox lifecycle takes: the machine's config is checked against them. */
const sandboxEvents = ["CREATE", "CREATE_OK", "CREATE_FAILED", "DELETE", "DELETE_OK", "DELETE_FAILED", "DELETE_ABORTED", "FORCE_REMOVE", "REPROGRAM"] as const;

export const sandboxMachine = setup({ types: { events: {} as { type: (typeof sandboxEvents)[number] } } }).createMachine({
  id: "sandbox",
  initial: "none",
  states: {
    none: { on: { CREATE: "creating" } },
    creating: { on: { CREATE_OK: "ready", CREATE_FAILED: "failed", FORCE_REMOVE: "deleted" } },
    ready: { on: { DELETE: "deleting", FORCE_REMOVE: "deleted", REPROGRAM: "creating" } },
    failed: { on: { DELETE: "deleting", FORCE_REMOVE: "deleted" } },
    // DELETE_ABORTED: an endpoint could not leave, so the namespace was kept and the sandbox is usable.
    deleting: { on: { DELETE_OK: "deleted", DELETE_FAILED: "failed", DELETE_ABORTED: "ready", FORCE_REMOVE: "deleted" } },
    deleted: { type: "final" },
  },
});

/** A sandbox's lifecycle state, as the machine names its states. */
export type SandboxLifecycle = StateValueFrom<typeof sandboxMachine>;
/** An event of the sandbox lifecycle. */
export type SandboxLifecycleEvent = EventFrom<typeof sandboxMachine>["type"];
/** Every state of the lifecycle, read off the machine (for schemas that list them, as the API's views do). */
export const sandboxStates = Object.keys(sandboxMachine.states) as [SandboxLifecycle, ...SandboxLifecycle[]];
