/** Where a conflist sends the plugin: a daemon, or a database file. */
export type CniTarget = { host: string } | { db: string };

/**
 * A ready CNI network configuration list for a netledger network: one plugin, netledger-cni, naming
 * the network and where netledger is, with the capabilities it honours (published ports, addresses,
 * a MAC and aliases from the runtime). Its version is 1.0.0, the newest podman's libcni accepts.
 */
export function conflistFor(network: string, target: CniTarget, cniVersion = "1.0.0"): Record<string, unknown> {
  return {
    cniVersion,
    name: network,
    plugins: [
      {
        type: "netledger-cni",
        network,
        ...target,
        capabilities: { portMappings: true, ips: true, mac: true, aliases: true },
      },
    ],
  };
}
