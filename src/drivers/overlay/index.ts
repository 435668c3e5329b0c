import { isIPv4, plainAddress } from "../../domain/addresses.js";
import type { OverlayView } from "../../domain/cluster/peers.js";
import { conflict, invalid, notFound } from "../../domain/errors.js";
import type { CreateEndpointRequest, CreateEndpointResult, CreateNetworkRequest, DriverModule, EffectCall, JoinRequest, JoinResult, LeaveRequest, NetworkDriver } from "../contract.js";
import { macFor } from "../bridge/names.js";
import { addVeth, deleteLink, getLink, type KernelLink, listLinks, setLink } from "../kernel/rtnetlink.js";
import { checkInsideConfig, configureInside, type InsideConfig, linksInside } from "../kernel/namespaceLinks.js";
import { checkIfname, ipBatch, step } from "../netns/iproute.js";
import { isNamespace } from "../netns/namespaces.js";
import { type Owner, ownerAlias, parseOwnerAlias } from "../netns/ownership.js";
import { haltPoint } from "../testHooks.js";
import { ensureOverlayFirewall, removeOverlayFirewall, stopForwarding } from "./firewall.js";
import { overlayGarbage } from "./gc.js";
import { overlayBridgeName, overlayMtu, overlayOptions, vniOf, vxlanName, vxlanPort } from "./names.js";
import { PeerTable } from "./peers.js";

/** What the cluster node hands the overlay driver after each fold of the cluster log. */
export interface OverlayPeers {
  update(view: OverlayView): Promise<void>;
}

/**
 * libnetwork's overlay driver, global scope, in the node's own namespace (not a namespace per network
 * as Docker has). A network's objects on a node exist while an endpoint of it is joined there: the
 * first Join makes a bridge (`nlo…`, no address: the segment is layer 2 only, so two overlay networks
 * have no path between them) and a VXLAN device (`nlx…`, the network's VXLAN id, UDP 4789, local =
 * this node's --advertise-addr, `nolearning proxy`) enslaved to it, and programs the peers; the last
 * Leave removes both. Endpoints join by veth as on the bridge driver, at the overlay MTU (1450 unless
 * given). MACs are derived from the endpoint's address (macFor), so every node knows every endpoint's
 * MAC from the cluster state alone. Every call can be repeated.
 */
export function overlayDriver(databaseId: string, table: PeerTable): NetworkDriver & OverlayPeers {
  let chain: Promise<unknown> = Promise.resolve();
  /** Device and peer work runs one step at a time: a Join never meets a Leave removing its bridge. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  }
  const owner = (kind: Owner["kind"], id: string): Owner => ({ databaseId, kind, id });

  /** `gateway`: the network's gateway with its prefix, put on the bridge for the DNS server (or none). */
  async function ensureDevices(networkId: string, opts: Record<string, string>, gateway: string | undefined, call: EffectCall): Promise<KernelLink> {
    const vni = vniOf(opts);
    if (vni === undefined) throw invalid(`overlay network ${networkId.slice(0, 12)} has no VXLAN id (option ${overlayOptions.vxlanIds}); it is made through the cluster`);
    const local = (await table.ready(viewWaitMs, call.signal))?.localAddress;
    if (!local) throw notFound(`this node's underlay address is not known yet: the overlay driver needs this process to be a node of a cluster (--cluster, --advertise-addr)`);
    const mtu = overlayMtu(opts);
    const br = overlayBridgeName(networkId);
    const vx = vxlanName(networkId);
    const alias = ownerAlias(owner("network", networkId));
    const lines: string[] = [];
    const brLink = await getLink(br);
    if (brLink) assertOwned(brLink, owner("network", networkId));
    else lines.push(step.addBridge(br));
    lines.push(step.alias(br, alias), step.mtu(br, mtu), ...(gateway ? [step.address(br, gateway)] : []), step.up(br));
    // The firewall first, at every Join (so a table removed by hand comes back): the gateway address
    // gives the node a route into the segment.
    await ensureOverlayFirewall(databaseId);
    const vxLink = await getLink(vx);
    if (vxLink) assertOwned(vxLink, owner("network", networkId));
    else lines.push(`link add name ${checkIfname(vx)} type vxlan id ${vni} dstport ${vxlanPort} local ${checkedAddress(local)} nolearning proxy`);
    lines.push(step.alias(vx, alias), step.mtu(vx, mtu), step.master(vx, br), step.up(vx));
    await ipBatch(lines, signalOf(call));
    stopForwarding(br);
    await table.syncNetwork(networkId);
    const made = await getLink(br);
    if (!made) throw notFound(`bridge ${br} of overlay network ${networkId.slice(0, 12)} vanished while it was made`);
    return made;
  }

  /** The last endpoint gone: the VXLAN device and the bridge go too. */
  async function removeDevicesIfUnused(networkId: string): Promise<void> {
    const br = overlayBridgeName(networkId);
    const links = await listLinks();
    if (links.some((l) => l.master === br && l.kind !== "vxlan")) return;
    for (const name of [vxlanName(networkId), br]) {
      const l = links.find((x) => x.name === name);
      if (l && parseOwnerAlias(l.alias)?.databaseId === databaseId) await deleteLink(l.index);
    }
    const others = links.some((l) => l.kind === "bridge" && l.name !== br && l.name.startsWith("nlo") && parseOwnerAlias(l.alias)?.databaseId === databaseId);
    if (!others && links.some((l) => l.name === br)) await removeOverlayFirewall(databaseId);
  }

  async function join(req: JoinRequest, key: string, call: EffectCall): Promise<JoinResult> {
    if (!isNamespace(key)) throw notFound(`the namespace of sandbox ${req.sandboxId.slice(0, 12)} (${key}) does not exist`);
    const opts = req.network?.options ?? {};
    const mtu = overlayMtu(opts);
    const bridge = await ensureDevices(req.networkId, opts, gatewayOf(req), call);
    const host = hostVethName(req.endpointId);
    const alias = ownerAlias(owner("endpoint", req.endpointId));
    const iface = req.interface ?? { address: null, addressIPv6: null, mac: null };
    const inside = (name: string): InsideConfig => ({ name, alias, mac: iface.mac, addresses: iface.address ? [iface.address] : [] });
    checkInsideConfig(inside("eth0")); // a bad value is refused before anything changes
    const links = await linksInside(key);
    let name = links.find((l) => l.alias === alias)?.name;
    let hostLink = await getLink(host);
    if (name === undefined) {
      // A host end without its sandbox end is what an interrupted attempt left: start again.
      if (hostLink) {
        assertOwned(hostLink, owner("endpoint", req.endpointId));
        await deleteLink(hostLink.index);
      }
      if (req.ifname !== undefined && links.some((l) => l.name === req.ifname))
        throw conflict(`sandbox ${req.sandboxId.slice(0, 12)} already has an interface named ${req.ifname}`);
      name = req.ifname ?? nextEthName(links.map((l) => l.name));
      await addVeth({ name: host, master: bridge.index, peer: name, peerNetns: key, mtu });
      hostLink = await getLink(host);
    }
    if (!hostLink) throw notFound(`the host end ${host} of endpoint ${req.endpointId.slice(0, 12)}'s veth pair is missing`);
    await setLink(hostLink.index, { alias, master: bridge.index, mtu, up: true });
    await haltPoint("overlay.join");
    await configureInside(key, inside(name));
    // No gateway: the segment has no way out of the cluster (Docker adds docker_gwbridge for that).
    return { dstName: name, hostInterface: host, disableGatewayService: true };
  }

  async function removeVeth(endpointId: string): Promise<void> {
    const link = await getLink(hostVethName(endpointId));
    if (!link) return;
    assertOwned(link, owner("endpoint", endpointId));
    await deleteLink(link.index);
  }

  return {
    gc: overlayGarbage(databaseId, table),

    async update(view: OverlayView) {
      table.view = view;
      await serial(async () => {
        for (const l of await listLinks()) {
          const o = parseOwnerAlias(l.alias);
          if (l.kind === "vxlan" && o?.databaseId === databaseId && o.kind === "network") await table.syncNetwork(o.id);
        }
      });
    },

    async createNetwork(req: CreateNetworkRequest) {
      // Checked here, made at the first Join on each node.
      vniOf(req.options);
      overlayMtu(req.options);
      if (req.ipv6) throw invalid(`the overlay driver carries IPv4 only for now`);
    },

    async deleteNetwork(req: { networkId: string }) {
      await serial(() => removeDevicesIfUnused(req.networkId));
    },

    async createEndpoint(req: CreateEndpointRequest): Promise<CreateEndpointResult> {
      const { address, mac } = req.interface;
      if (!address || !isIPv4(plainAddress(address))) throw invalid(`an overlay endpoint needs an IPv4 address, not "${address ?? ""}"`);
      const derived = macFor(req.endpointId, address);
      // Every node derives a peer's MAC from its address: another MAC would not be reachable.
      if (mac && mac.toLowerCase() !== derived) throw invalid(`an overlay endpoint's MAC is derived from its address (${derived}); --mac-address cannot be given`);
      return mac ? {} : { interface: { mac: derived } };
    },

    async deleteEndpoint(req: { networkId: string; endpointId: string }) {
      await serial(async () => {
        await removeVeth(req.endpointId);
        await removeDevicesIfUnused(req.networkId);
      });
    },

    async endpointOperInfo() {
      return {};
    },

    join(req: JoinRequest, call: EffectCall): Promise<JoinResult> {
      const key = req.sandboxKey;
      if (key === null) return Promise.reject(invalid(`sandbox ${req.sandboxId.slice(0, 12)} uses the host's namespace; an overlay endpoint needs a sandbox with its own`));
      return serial(() => join(req, key, call));
    },

    leave(req: LeaveRequest) {
      return serial(async () => {
        await removeVeth(req.endpointId);
        await removeDevicesIfUnused(req.networkId);
      });
    },
  };
}

/** How long a Join waits for the cluster node's first peer table (it attaches after the log opens). */
const viewWaitMs = 30_000;

const hostVethName = (endpointId: string): string => `nlv${endpointId.slice(0, 12)}`;

function nextEthName(taken: readonly string[]): string {
  const used = new Set(taken);
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

/**
 * The network's gateway with the endpoint's prefix length: the same address on every node's bridge (as
 * libnetwork's overlay has it on each node's br0). ARP for it never crosses: the VXLAN device's `proxy`
 * answers ARP from its neighbour table and sends none over the underlay, so each sandbox finds its own
 * node's bridge, where that node's DNS server listens.
 */
function gatewayOf(req: JoinRequest): string | undefined {
  const prefix = req.interface?.address?.split("/")[1];
  return req.gateway && prefix && isIPv4(req.gateway) ? `${req.gateway}/${prefix}` : undefined;
}

function checkedAddress(a: string): string {
  if (!isIPv4(a)) throw invalid(`the overlay driver needs an IPv4 --advertise-addr, not "${a}"`);
  return a;
}

/** A link under our derived name must carry this owner's alias (or none: an interrupted attempt). */
function assertOwned(link: KernelLink, want: Owner): void {
  const o = parseOwnerAlias(link.alias);
  if (o && o.databaseId === want.databaseId && o.kind === want.kind && o.id === want.id) return;
  if (link.alias === undefined) return;
  throw conflict(`link ${link.name} already exists and is not netledger's for ${want.kind} ${want.id.slice(0, 12)} (alias "${link.alias}"); remove it`);
}

function signalOf(call: EffectCall): { signal?: AbortSignal } {
  return call.signal ? { signal: call.signal } : {};
}

/** The overlay driver's module: global scope, addresses from the cluster's pools. */
export function overlayModule(driver: NetworkDriver): DriverModule {
  return {
    init(register) {
      register("overlay", driver, { dataScope: "global", connectivityScope: "global", sideEffects: true, usesIpam: true });
    },
  };
}
