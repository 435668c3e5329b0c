import type { DriverModule, NetworkDriver } from "../contract.js";

/**
 * libnetwork's host driver: the container shares the host's network namespace, so there is nothing
 * to create or join, and no effect intents are recorded for it.
 */
function hostDriver(): NetworkDriver {
  return {
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
}

export const hostModule: DriverModule = {
  init(register) {
    register("host", hostDriver(), { dataScope: "local", sideEffects: false, usesIpam: false });
  },
};
