import { forbidden, type NetledgerError, notFound } from "../domain/errors.js";
import { Firewall } from "./bridge/firewall.js";
import { bridgeModule } from "./bridge/index.js";
import { hostModule } from "./host/index.js";
import { missingPrograms } from "./kernel/programs.js";
import { SandboxFiles } from "./netns/files.js";
import { sandboxGarbage } from "./netns/gc.js";
import { netnsSandboxDriver } from "./netns/index.js";
import { isNamespace } from "./netns/namespaces.js";
import { nullModule } from "./null/index.js";
import { type OverlayPeers, overlayDriver, overlayModule } from "./overlay/index.js";
import { PeerTable } from "./overlay/peers.js";
import type { DriverRegistry } from "./registry.js";

export interface BuiltinOptions {
  /** The database's id, which every kernel object and file netledger makes carries. */
  databaseId: string;
  /** The runtime directory: namespaces under RUNDIR/netns, sandbox files under RUNDIR/sandboxes. */
  runDir: string;
  /** Whether netledger runs as root: the kernel drivers are installed only then. */
  root: boolean;
  /** Where the kernel drivers' programs (nft, ip) are looked for; PATH by default. */
  path?: string;
}

/** Where a sandbox's files are, for a runtime to bind-mount into its container. */
export interface SandboxFilePaths {
  hostsPath(sandboxId: string): string;
  resolvConfPath(sandboxId: string): string;
}

/** What the controller asks of the built-in parts besides the registry. */
export interface Builtins {
  /** Each sandbox's hosts and resolv.conf, written by the sandbox layer whether or not it has namespaces. */
  sandboxFiles: SandboxFilePaths;
  /** Whether a sandbox's namespace still exists: after a reboot, the sandboxes whose namespace does not are gone. */
  namespaceExists(key: string): boolean;
  /** Why a built-in driver of this name is not registered here (the kernel drivers need root), if it is one. */
  unavailable(driverName: string): NetledgerError | undefined;
  /** Where a cluster node hands the overlay driver its peer table; none where the driver is not installed. */
  overlayPeers: OverlayPeers | undefined;
}

/** Drivers that program the kernel, installed only where netledger runs as root. */
const kernelDrivers = new Set(["bridge", "overlay"]);

/**
 * Registers the built-in parts (libnetwork's built-in driver Init calls): the null and host drivers
 * always; the sandbox files (a state projection) and the sandbox layer's garbage always; and, as
 * root, the bridge driver with its nftables projection and the netns sandbox driver. Bridges, veths,
 * namespaces and nftables need root: without it they are not installed, so a command that needs them
 * is refused before anything is recorded (use -d null, --host-netns). Projections run in the order
 * they are added: the sandbox files, then the nftables table.
 */
export async function installBuiltins(registry: DriverRegistry, o: BuiltinOptions): Promise<Builtins> {
  for (const m of [nullModule, hostModule]) await m.init(registry.callback("builtin"), {});
  const files = new SandboxFiles(o.runDir, o.databaseId);
  registry.addProjection(files);
  // The layer's garbage is collected even when an embedder brings its own sandbox driver.
  const sandboxGc = sandboxGarbage({ netnsDir: `${o.runDir}/netns`, files, kernel: o.root });
  registry.addCollector(sandboxGc);
  // The bridge driver without nft would make networks with no firewall: it is not installed then.
  const bridgeMissing = o.root ? missingPrograms("bridge", o.path ?? process.env["PATH"]) : [];
  const overlayMissing = o.root ? [...new Set([...bridgeMissing, ...missingPrograms("overlay", o.path ?? process.env["PATH"])])] : [];
  let overlay: OverlayPeers | undefined;
  if (o.root) {
    registry.registerSandboxDriver(netnsSandboxDriver(sandboxGc));
    if (bridgeMissing.length === 0) {
      const firewall = new Firewall(o.databaseId);
      await bridgeModule(firewall).init(registry.callback("builtin"), {});
      registry.addProjection(firewall);
    }
    // The overlay driver's links are collected with the bridge driver's (ownership aliases).
    if (overlayMissing.length === 0) {
      const od = overlayDriver(o.databaseId, new PeerTable());
      await overlayModule(od).init(registry.callback("builtin"), {});
      overlay = od;
    }
  }
  return {
    sandboxFiles: files,
    overlayPeers: overlay,
    namespaceExists(key) {
      const d = registry.sandboxDriver();
      return d?.exists ? d.exists(key) : isNamespace(key);
    },
    unavailable(name) {
      if (!kernelDrivers.has(name)) return undefined;
      if (!o.root) return forbidden(`the ${name} driver programs the kernel and needs root; run netledger as root, or use -d null`);
      const missing = name === "bridge" ? bridgeMissing : overlayMissing;
      if (missing.length > 0)
        return notFound(`the ${name} driver needs ${missing.join(" and ")}, not found in PATH; install it, or use -d null`);
      return undefined;
    },
  };
}
