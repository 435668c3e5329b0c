import { NetledgerError } from "../../domain/errors.js";
import { moveOut } from "../kernel/namespaceLinks.js";
import { checkIfname, type InterfaceConfig, linkExists, listLinks, placeInterface } from "../netns/iproute.js";
import { isNamespace } from "../netns/namespaces.js";

/**
 * Where the interface a plugin names at Join goes (libnetwork's sandbox population, osl): the host
 * link `SrcName` is moved into the sandbox's namespace, renamed `DstPrefix` + the first free index
 * (`eth0`, `eth1`…), given the endpoint's MAC and addresses, the gateways and the static routes. At
 * Leave it is moved back to the host under its own name, for the plugin to dispose of. Built on the
 * link primitives of the netns layer (iproute.ts).
 *
 * The placed link carries an alias naming the database, the endpoint and its host name
 * (`netledger-plugin/DB/ENDPOINT/SRCNAME`), so that a Leave finds it without the Join's answer: the
 * Leave sent to undo a Join in doubt (its answer never recorded) still moves it back out. The prefix
 * differs from the links netledger owns (ownership.ts): this link is the plugin's, and `gc` leaves it.
 */
export interface InterfacePlacement {
  /** Whether the link the plugin named exists in the caller's namespace. */
  exists(srcName: string): boolean | Promise<boolean>;
  /**
   * Places the link; returns its name in the sandbox: `cfg.name` when the caller chose one (a CNI
   * runtime's CNI_IFNAME), else `dstPrefix` and the first free index.
   */
  place(srcName: string, dstPrefix: string, nsPath: string, cfg: Omit<InterfaceConfig, "name" | "alias"> & { name?: string }, owner: PlacementOwner): Promise<string>;
  /** Moves the endpoint's link in the sandbox back to the host under its own name; nothing to do when it is not there. */
  remove(nsPath: string, owner: PlacementOwner): Promise<void>;
}

export interface PlacementOwner {
  databaseId: string;
  endpointId: string;
}

const aliasPrefix = "netledger-plugin/";

const placementAlias = (o: PlacementOwner, srcName: string): string => `${aliasPrefix}${o.databaseId}/${o.endpointId}/${srcName}`;

export const kernelPlacement: InterfacePlacement = {
  exists: (srcName) => linkExists(srcName),

  async place(srcName, dstPrefix, nsPath, cfg, owner) {
    if (!isNamespace(nsPath)) throw new NetledgerError("DriverError", `sandbox namespace ${nsPath} does not exist`);
    const taken = new Set((await listLinks({ netns: nsPath })).map((l) => l.name));
    if (cfg.name !== undefined && taken.has(cfg.name)) throw new NetledgerError("Conflict", `the sandbox already has an interface named ${cfg.name}`);
    let i = 0;
    while (taken.has(`${dstPrefix}${i}`)) i++;
    const name = checkIfname(cfg.name ?? `${dstPrefix}${i}`);
    await placeInterface(srcName, nsPath, { ...cfg, name, alias: placementAlias(owner, srcName) });
    return name;
  },

  async remove(nsPath, owner) {
    if (!isNamespace(nsPath)) return; // the namespace went, and the link with it
    const prefix = placementAlias(owner, "");
    for (const link of await listLinks({ netns: nsPath })) {
      if (!link.alias?.startsWith(prefix)) continue;
      // Moved to the caller's namespace and renamed there in one request, from a socket in the
      // sandbox's namespace: the kernel takes a link out of a namespace only from inside it.
      await moveOut(nsPath, link.name, checkIfname(link.alias.slice(prefix.length)));
    }
  },
};
