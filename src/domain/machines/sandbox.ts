import { setup } from "xstate";

/** A sandbox's lifecycle: the container's network namespace, made, used, removed. */
export const sandboxMachine = setup({}).createMachine({
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
