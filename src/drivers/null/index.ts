import type { DriverModule, NetworkDriver } from "../contract.js";

/**
 * libnetwork's null driver: networks and endpoints with no interfaces; containers joined to it have
 * only loopback. Every call succeeds and touches nothing, so no effect intents are recorded for it.
 */
export const nullDriver: NetworkDriver = {
  async createNetwork() {},
  async deleteNetwork() {},
  async createEndpoint() {
    return {};
  },
  async deleteEndpoint() {},
  async endpointOperInfo() {
    return {};
  },
  async join() {
    return {};
  },
  async leave() {},
};

export const nullModule: DriverModule = {
  init(register) {
    register("null", nullDriver, { dataScope: "local", sideEffects: false, usesIpam: false });
  },
};
