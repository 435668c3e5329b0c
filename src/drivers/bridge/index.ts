import { createServer } from "node:net";
import { isIP } from "../../domain/addresses.js";
import { conflict, forbidden, invalid, notFound } from "../../domain/errors.js";
import type { PortBinding } from "../../domain/events.js";
import type {
  CreateEndpointRequest,
  CreateEndpointResult,
  CreateNetworkRequest,
  DriverModule,
  EffectCall,
  JoinRequest,
  JoinResult,
  LeaveRequest,
  NetworkDriver,
} from "../contract.js";
import { checkInsideConfig, configureInside, defaultRoutes, type InsideConfig, linksInside } from "../kernel/namespaceLinks.js";
import { addVeth, deleteLink, getLink, type KernelLink, listLinks, setLink } from "../kernel/rtnetlink.js";
import { checkIfname, ipBatch, step } from "../netns/iproute.js";
import { isNamespace } from "../netns/namespaces.js";
import { type Owner, ownerAlias, parseOwnerAlias } from "../netns/ownership.js";
import { haltPoint } from "../testHooks.js";
import type { Firewall } from "./firewall.js";
import { bridgeGarbage } from "./gc.js";
import { bridgeName, hostVethName, macFor, mtuOf } from "./names.js";
import { enableRouteLocalnet } from "./nftables.js";
import { poolsOf } from "./pools.js";

/**
 * libnetwork's bridge driver. One Linux bridge per network holding the gateway addresses;
 * per joined endpoint a veth pair whose host end (`nlv…`) is a port of the bridge and whose other end
 * is made directly in the sandbox's namespace, as eth0, eth1… in join order, with the endpoint's
 * address, MAC and MTU and a default route through the gateway (none on an internal network).
 * CreateEndpoint only settles the MAC, so an endpoint has kernel objects exactly while it is joined,
 * and Leave removes them. Every call can be repeated: a create finds what exists, a delete finds
 * nothing and succeeds. Links are looked up, made, moved and deleted through rtnetlink from this
 * process, in the caller's namespace (kernel/rtnetlink.ts); a Join's addresses and routes inside the
 * sandbox are one `ip -batch` process, and a network's bridge one more (made once per network). NAT, isolation and published ports are the nftables projection (firewall.ts);
 * given it, the driver also collects its garbage (gc.ts): its host links and its table's stale rules.
 */
export function bridgeDriver(firewall?: Firewall): NetworkDriver {
  const locks = new Map<string, Promise<unknown>>();
  /** Joins into one namespace run one at a time, so two never pick the same ethN. */
  function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => locks.get(key) === tail && locks.delete(key));
    return next;
  }

  return {
    ...(firewall ? { gc: bridgeGarbage(firewall) } : {}),

    async createNetwork(req: CreateNetworkRequest, call: EffectCall) {
      const name = bridgeName(req.networkId, req.options);
      const mtu = checkedMtu(req.options);
      const pools = poolsOf(req);
      const owner = ownerAlias({ databaseId: call.databaseId, kind: "network", id: req.networkId });
      const lines: string[] = [];
      const existing = await getLink(checkIfname(name));
      if (existing) assertOwned(existing, { databaseId: call.databaseId, kind: "network", id: req.networkId });
      else lines.push(step.addBridge(name));
      lines.push(step.alias(name, owner));
      if (mtu) lines.push(step.mtu(name, mtu));
      for (const p of pools) if (p.gateway) lines.push(step.address(name, p.gateway));
      lines.push(step.up(name));
      await ipBatch(lines, signalOf(call));
      if (!req.internal) enableRouteLocalnet(name);
    },

    async deleteNetwork(req: { networkId: string }, call: EffectCall) {
      const link = await findOwnedLink({ databaseId: call.databaseId, kind: "network", id: req.networkId });
      if (link) await deleteLink(link.index);
    },

    async createEndpoint(req: CreateEndpointRequest): Promise<CreateEndpointResult> {
      const { address, addressIPv6, mac } = req.interface;
      for (const [what, a] of [["address", address], ["IPv6 address", addressIPv6]] as const)
        if (a && !isIP(a.split("/")[0]!)) throw invalid(`endpoint ${what} "${a}" is not an IP address`);
      for (const p of req.options.ports) if (p.hostIp !== "" && !isIP(p.hostIp)) throw invalid(`host IP "${p.hostIp}" is not an IP address`);
      if (mac) return {};
      // libnetwork's bridge elects the MAC from the IPv4 address when none is given.
      return { interface: { mac: macFor(req.endpointId, address) } };
    },

    async deleteEndpoint(req: { networkId: string; endpointId: string }, call: EffectCall) {
      await removeVeth(req.endpointId, call);
    },

    async endpointOperInfo() {
      return {};
    },

    join(req: JoinRequest, call: EffectCall): Promise<JoinResult> {
      const key = req.sandboxKey;
      if (key === null)
        return Promise.reject(invalid(`sandbox ${req.sandboxId.slice(0, 12)} uses the host's namespace; a bridge endpoint needs a sandbox with its own`));
      return serialised(key, () => join(req, key, call));
    },

    async leave(req: LeaveRequest, call: EffectCall) {
      await removeVeth(req.endpointId, call);
    },
  };
}

async function join(req: JoinRequest, key: string, call: EffectCall): Promise<JoinResult> {
  if (!isNamespace(key)) throw notFound(`the namespace of sandbox ${req.sandboxId.slice(0, 12)} (${key}) does not exist`);
  const opts = req.network?.options ?? {};
  const internal = req.network?.internal ?? false;
  const bridgeLink = await getLink(checkIfname(bridgeName(req.networkId, opts)));
  if (!bridgeLink) throw notFound(`bridge ${bridgeName(req.networkId, opts)} of network ${req.networkId.slice(0, 12)} does not exist`);
  const mtu = checkedMtu(opts);
  const host = hostVethName(req.endpointId);
  const alias = ownerAlias({ databaseId: call.databaseId, kind: "endpoint", id: req.endpointId });
  const iface = req.interface ?? { address: null, addressIPv6: null, mac: null };
  const addresses = [iface.address, iface.addressIPv6].filter((a): a is string => !!a);
  // A default route per family the endpoint has an address in (a gateway it cannot reach is refused
  // by the kernel), and none at all on an internal network: it has no way out.
  const gateway = !internal && iface.address ? req.gateway : null;
  const gatewayIPv6 = !internal && iface.addressIPv6 ? req.gatewayIPv6 : null;
  const insideConfig = (name: string): InsideConfig => ({
    name,
    alias,
    mac: iface.mac,
    addresses,
    routes: defaultRoutes(gateway, gatewayIPv6),
  });
  checkInsideConfig(insideConfig("eth0")); // a bad value is refused before anything changes

  const inside = await linksInside(key);
  let name = inside.find((l) => l.alias === alias)?.name;
  let hostLink = await getLink(host);
  if (name === undefined) {
    // A host end without its sandbox end is what an interrupted attempt left: start again. One that
    // is not this endpoint's (another database's, same 12 hex) is refused, never deleted.
    if (hostLink) {
      assertOwned(hostLink, { databaseId: call.databaseId, kind: "endpoint", id: req.endpointId });
      await deleteLink(hostLink.index);
    }
    if (req.ifname !== undefined && inside.some((l) => l.name === req.ifname))
      throw conflict(`sandbox ${req.sandboxId.slice(0, 12)} already has an interface named ${req.ifname}`);
    name = req.ifname ?? nextEthName(inside.map((l) => l.name));
    // The sandbox end is made in the namespace under its final name: nothing is moved.
    await addVeth({ name: host, master: bridgeLink.index, peer: name, peerNetns: key, ...(mtu ? { mtu } : {}) });
    hostLink = await getLink(host);
  }
  if (!hostLink) throw notFound(`the host end ${host} of endpoint ${req.endpointId.slice(0, 12)}'s veth pair is missing`);
  // The alias cannot be given in the request that makes the link; set again on a retry, with the rest.
  await setLink(hostLink.index, { alias, master: bridgeLink.index, up: true });
  await haltPoint("bridge.join");
  await configureInside(key, insideConfig(name));
  const ports = (req.options["ports"] as PortBinding[] | undefined) ?? [];
  // The driver placed the interface itself: the names are reported, not handed to the controller to move.
  return {
    dstName: name,
    hostInterface: host,
    ...(gateway ? { gateway } : {}),
    ...(gatewayIPv6 ? { gatewayIPv6 } : {}),
    ...(ports.some((p) => p.hostPort === 0) ? { portMappings: await pickHostPorts(ports) } : {}),
  };
}

/** eth0, eth1…: the first index no link in the sandbox holds (libnetwork's osl counts per prefix). */
function nextEthName(taken: readonly string[]): string {
  const used = new Set(taken);
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

/** Removes an endpoint's veth pair (its sandbox end goes with it); nothing there is success. */
async function removeVeth(endpointId: string, call: EffectCall): Promise<void> {
  const link = await getLink(hostVethName(endpointId));
  if (!link) return;
  assertOwned(link, { databaseId: call.databaseId, kind: "endpoint", id: endpointId });
  await deleteLink(link.index);
}

/**
 * Refuses a link that is not this owner's. A link under the name netledger derives for this very
 * entity but without an alias is taken as ours: iproute2 cannot set the alias in the same request
 * that makes the link, so that is what an attempt interrupted between the two leaves.
 */
function assertOwned(link: KernelLink, want: Owner): void {
  const { name, alias } = link;
  const o = parseOwnerAlias(alias);
  if (o && o.databaseId === want.databaseId && o.kind === want.kind && o.id === want.id) return;
  if (alias === undefined && name === derivedName(want)) return;
  if (o?.databaseId !== undefined && o.databaseId !== want.databaseId)
    throw forbidden(`link ${name} belongs to netledger database ${o.databaseId}, not this one; netledger leaves it alone`);
  throw conflict(`link ${name} already exists and is not netledger's for ${want.kind} ${want.id.slice(0, 12)} (alias "${alias ?? ""}"); choose another name or remove it`);
}

const derivedName = (o: Owner): string => (o.kind === "network" ? bridgeName(o.id, undefined) : hostVethName(o.id));

/** The host link whose alias names this owner: the bridge of a network whatever its name. */
async function findOwnedLink(o: Owner): Promise<KernelLink | undefined> {
  const want = ownerAlias(o);
  const guess = await getLink(derivedName(o));
  if (guess && (guess.alias === want || guess.alias === undefined)) return guess;
  return (await listLinks()).find((l) => l.alias === want);
}

function checkedMtu(opts: Record<string, string>): number | undefined {
  const mtu = mtuOf(opts);
  if (Number.isNaN(mtu)) throw invalid(`driver option com.docker.network.driver.mtu must be an MTU from 68 to 65535`);
  return mtu;
}

function signalOf(call: EffectCall): { signal?: AbortSignal } {
  return call.signal ? { signal: call.signal } : {};
}

/** Host port 0 means "any": the kernel names a free one, as Docker's port allocator would pick one. */
async function pickHostPorts(ports: readonly PortBinding[]): Promise<PortBinding[]> {
  const out: PortBinding[] = [];
  for (const p of ports) out.push(p.hostPort !== 0 ? p : { ...p, hostPort: await freePort(p.hostIp) });
  return out;
}

function freePort(hostIp: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, hostIp || "0.0.0.0", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The bridge driver's module, with the nftables projection it programs (and rebuilds when it collects garbage). */
export function bridgeModule(firewall: Firewall): DriverModule {
  return {
    init(register) {
      register("bridge", bridgeDriver(firewall), { dataScope: "local", sideEffects: true, usesIpam: true });
    },
  };
}
