import type { NetledgerApi } from "../api/contract.js";

/**
 * What netledger-cni asks of netledger: a part of the API (src/api/contract.ts). In-process it is the
 * library (src/api/local.ts); a daemon carrying a forwarded call (forward.ts) hands in its own.
 */
export type CniApi = Pick<
  NetledgerApi,
  "network" | "sandbox" | "sandboxes" | "endpoints" | "endpoint" | "createSandbox" | "deleteSandbox" | "deleteEndpoint" | "connect" | "disconnect" | "events" | "recover" | "close"
>;
