import { NetledgerError } from "../../domain/errors.js";
import { checkIfname, ipBatch, type InterfaceConfig, linkExists, listLinks, placeInterface, step } from "../netns/iproute.js";
import { isNamespace } from "../netns/namespaces.js";

/**
 * Where the interface a plugin names at Join goes (libnetwork's sandbox population, osl): the host
 * link `SrcName` is moved into the sandbox's namespace, renamed `DstPrefix` + the first free index
 * (`eth0`, `eth1`…), given the endpoint's MAC and addresses, the gateways and the static routes. At
 * Leave it is moved back to the host under its own name, for the plugin to dispose of. Built on the
 * link primitives of the netns layer (iproute.ts).
 */
export interface InterfacePlacement {
  /** Whether the host link the plugin named exists. */
  exists(srcName: string): boolean;
  /** Places the link; returns its name in the sandbox. */
  place(srcName: string, dstPrefix: string, nsPath: string, cfg: Omit<InterfaceConfig, "name">, signal?: AbortSignal): Promise<string>;
  /** Moves `dstName` in the sandbox back to the host as `srcName`; nothing to do when it is not there. */
  remove(dstName: string, srcName: string, nsPath: string, signal?: AbortSignal): Promise<void>;
}

export const kernelPlacement: InterfacePlacement = {
  exists: (srcName) => linkExists(srcName),

  async place(srcName, dstPrefix, nsPath, cfg, signal) {
    if (!isNamespace(nsPath)) throw new NetledgerError("DriverError", `sandbox namespace ${nsPath} does not exist`);
    const opts = signal ? { netns: nsPath, signal } : { netns: nsPath };
    const taken = new Set((await listLinks(opts)).map((l) => l.name));
    let i = 0;
    while (taken.has(`${dstPrefix}${i}`)) i++;
    const name = `${dstPrefix}${i}`;
    await placeInterface(srcName, nsPath, { ...cfg, name }, signal);
    return name;
  },

  async remove(dstName, srcName, nsPath, signal) {
    if (!isNamespace(nsPath)) return; // the namespace went, and the link with it
    const opts = signal ? { netns: nsPath, signal } : { netns: nsPath };
    const here = (await listLinks(opts)).some((l) => l.name === dstName);
    if (!here) return;
    const host = `/proc/${process.pid}/ns/net`;
    const lines = [`link set dev ${checkIfname(dstName)} down`, ...(dstName !== srcName ? [step.rename(dstName, srcName)] : []), step.moveToNamespace(srcName, host)];
    await ipBatch(lines, opts);
  },
};
