import type { z } from "zod";
import { isNetledgerError } from "../../domain/errors.js";
import type { PortBinding } from "../../domain/events.js";
import type {
  Capability,
  CreateEndpointRequest,
  CreateEndpointResult,
  CreateNetworkRequest,
  EffectCall,
  ExternalConnectivityRequest,
  InterfaceInfo,
  JoinRequest,
  JoinResult,
  LeaveRequest,
  NetworkDriver,
  StaticRoute,
} from "../contract.js";
import type { Route } from "../netns/iproute.js";
import {
  capabilitiesResponse,
  createEndpointResponse,
  emptyResponse,
  endpointOperInfoResponse,
  joinResponse,
  labels,
  networkSubsystem,
} from "./api.js";
import { negotiateScope } from "./capabilities.js";
import { type CallOptions, effectCallOptions, type PluginClient } from "./client.js";
import { sortedMap } from "./goJson.js";
import { type InterfacePlacement, kernelPlacement } from "./joinInterface.js";
import { macBase64, parseWireCidr, parseWireIp, parseWireMac, protoNumber } from "./wireValues.js";

/**
 * CreateEndpoint's Options (§5.4, §8.3): the endpoint's generic map, as Go marshals it (keys sorted).
 * The user's driver options are its top-level keys, as Docker's EndpointOptionGeneric puts them; the
 * MAC, when set, goes under netlabel's key in base64 (decide refuses a driver option of that key).
 */
function endpointOptions(req: CreateEndpointRequest): Record<string, unknown> {
  const mac = req.interface.mac;
  return sortedMap({ ...req.options.driverOpts, ...(mac ? { [labels.macAddress]: macBase64(mac) } : {}) }) ?? {};
}

/**
 * libnetwork's remote network driver (drivers/remote/driver.go): a NetworkDriver whose every call is a
 * `POST /NetworkDriver.<Method>` to a plugin, with the request bodies of plugin-protocol.md §5 and its
 * rules for reading the answers. Registered under the plugin's own name.
 *
 * Errors of DeleteNetwork, DeleteEndpoint and Leave that are the plugin's answer are ignored, as
 * libnetwork logs and ignores them (§8.2); a plugin that cannot be reached, or that may not have
 * received or finished the call (Timeout, InDoubt), still fails the call, so that the effect stays
 * pending or in doubt and the call is made again.
 */
export class RemoteNetworkDriver implements NetworkDriver {
  constructor(
    readonly name: string,
    readonly client: PluginClient,
    private readonly placement: InterfacePlacement = kernelPlacement,
  ) {}

  /** The NetworkDriver call rule (§5.0): the client's errors as they are, then a non-empty Err is `remote: <Err>`. */
  private call<S extends z.ZodType<{ Err: string }>>(method: string, body: unknown, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
    return this.client.callChecked(`${networkSubsystem}.${method}`, body, schema, "Err", opts);
  }

  /** Scope negotiation at registration (§5.1): a plugin whose capabilities cannot be read is not registered. */
  async getCapabilities(): Promise<Capability> {
    return negotiateScope(this.name, await this.call("GetCapabilities", undefined, capabilitiesResponse, { idempotent: true }));
  }

  async createNetwork(req: CreateNetworkRequest, call: EffectCall): Promise<void> {
    const options: Record<string, unknown> = {
      [labels.enableIPv6]: req.ipv6,
      [labels.generic]: sortedMap(req.options) ?? {},
      ...(req.internal ? { [labels.internal]: true } : {}),
    };
    await this.call(
      "CreateNetwork",
      {
        NetworkID: req.networkId,
        Options: sortedMap(options),
        IPv4Data: ipamData(req["ipv4Data"]),
        IPv6Data: ipamData(req["ipv6Data"]),
      },
      emptyResponse,
      effectCallOptions(call),
    );
  }

  async deleteNetwork(req: { networkId: string }, call: EffectCall): Promise<void> {
    await ignoringAnswers(this.call("DeleteNetwork", { NetworkID: req.networkId }, emptyResponse, effectCallOptions(call)));
  }

  /**
   * CreateEndpoint (§5.4): the interface as IPAM gave it; the plugin may fill only what was sent empty.
   * A value for a slot already set is refused and the endpoint deleted again on the plugin (rolled
   * back), as libnetwork does; a value that does not parse is a BadResponse (the effect layer sends
   * DeleteEndpoint for it).
   */
  async createEndpoint(req: CreateEndpointRequest, call: EffectCall): Promise<CreateEndpointResult> {
    const sent = req.interface;
    const r = await this.call(
      "CreateEndpoint",
      {
        NetworkID: req.networkId,
        EndpointID: req.endpointId,
        Interface: { Address: sent.address ?? "", AddressIPv6: sent.addressIPv6 ?? "", MacAddress: sent.mac ?? "" },
        Options: endpointOptions(req),
      },
      createEndpointResponse,
      effectCallOptions(call),
    );
    const iface = r.Interface;
    if (!iface) return {};
    const m = `${networkSubsystem}.CreateEndpoint`;
    const got: Partial<InterfaceInfo> = {};
    let mac: string | undefined;
    if (iface.MacAddress !== "") {
      mac = parseWireMac(iface.MacAddress);
      if (!mac) throw this.client.fail("BadResponse", m, `invalid MAC address "${iface.MacAddress}" in the answer`);
    }
    const addrs = [iface.Address, iface.AddressIPv6].filter((a) => a !== "").map((a) => {
      const c = parseWireCidr(a);
      if (!c) throw this.client.fail("BadResponse", m, `invalid address "${a}" in the answer: expected an address in CIDR form`);
      return c;
    });
    // libnetwork's order: MAC, then Address, then AddressIPv6; each only into a slot still empty.
    const refuse = async (what: string, value: string): Promise<never> => {
      let rolled = "rolled back";
      try {
        await this.call("DeleteEndpoint", { NetworkID: req.networkId, EndpointID: req.endpointId }, emptyResponse, effectCallOptions(call));
      } catch (e) {
        rolled = `failed to roll back: ${(e as Error).message}`;
      }
      throw this.client.fail("Forbidden", m, `driver modified interface ${what}: ${value} where netledger had set it; ${rolled}`);
    };
    if (mac) {
      if (sent.mac) await refuse("MAC address", mac);
      got.mac = mac;
    }
    for (const a of addrs) {
      const slot = a.family === 4 ? "address" : "addressIPv6";
      if (sent[slot] || got[slot]) await refuse("address", a.text);
      got[slot] = a.text;
    }
    return Object.keys(got).length ? { interface: got } : {};
  }

  async deleteEndpoint(req: { networkId: string; endpointId: string }, call: EffectCall): Promise<void> {
    await ignoringAnswers(this.call("DeleteEndpoint", { NetworkID: req.networkId, EndpointID: req.endpointId }, emptyResponse, effectCallOptions(call)));
  }

  async endpointOperInfo(req: { networkId: string; endpointId: string }): Promise<Record<string, unknown>> {
    const r = await this.call("EndpointOperInfo", { NetworkID: req.networkId, EndpointID: req.endpointId }, endpointOperInfoResponse, {
      idempotent: true,
    });
    return r.Value ?? {};
  }

  /**
   * Join (§5.7): the answer's gateways and routes are checked, and the interface it names is placed in
   * the sandbox (the effect layer then sends ProgramExternalConnectivity, §5.9). A named interface that
   * does not exist, or that cannot be placed, fails the join and sends Leave; no interface named is a
   * success. A malformed answer is a BadResponse (the effect layer sends Leave for it).
   */
  async join(req: JoinRequest, call: EffectCall): Promise<JoinResult> {
    const ids = { NetworkID: req.networkId, EndpointID: req.endpointId };
    const sandboxOptions = joinOptions(req.options);
    const r = await this.call("Join", { ...ids, SandboxKey: req.sandboxKey ?? "", Options: sandboxOptions }, joinResponse, effectCallOptions(call));
    const m = `${networkSubsystem}.Join`;
    const result: JoinResult = {};
    for (const [key, field] of [
      ["gateway", "Gateway"],
      ["gatewayIPv6", "GatewayIPv6"],
    ] as const) {
      const v = r[field];
      if (v === "") continue;
      const ip = parseWireIp(v);
      if (!ip || ip.family !== (field === "Gateway" ? 4 : 6)) throw this.client.fail("BadResponse", m, `unable to parse ${field} "${v}"`);
      result[key] = ip.text;
    }
    const routes: StaticRoute[] = [];
    for (const sr of r.StaticRoutes ?? []) {
      const dest = parseWireCidr(sr.Destination);
      if (!dest) throw this.client.fail("BadResponse", m, `unable to parse StaticRoutes Destination "${sr.Destination}"`);
      const hop = sr.NextHop === "" ? undefined : parseWireIp(sr.NextHop);
      if (sr.NextHop !== "" && !hop) throw this.client.fail("BadResponse", m, `unable to parse StaticRoutes NextHop "${sr.NextHop}"`);
      routes.push({ destination: dest.text, routeType: sr.RouteType, nextHop: hop?.text ?? "" });
    }
    if (routes.length) result.staticRoutes = routes;
    if (r.DisableGatewayService) result.disableGatewayService = true;
    const named = r.InterfaceName && r.InterfaceName.SrcName !== "" ? r.InterfaceName : null;
    if (named) {
      if (named.DstPrefix === "") throw this.client.fail("BadResponse", m, `InterfaceName ${named.SrcName} has no DstPrefix`);
      result.interfaceName = { srcName: named.SrcName, dstPrefix: named.DstPrefix };
      if (req.sandboxKey) {
        const dst = await this.placeNamed(req, named.SrcName, named.DstPrefix, result, call);
        result["sandboxInterface"] = dst;
      }
    }
    return result;
  }

  /**
   * ProgramExternalConnectivity (§5.9), made by the effect layer after a Join succeeds: the sandbox
   * options of the Join again. A 404 (a plugin that does not implement it) is a success.
   */
  async programExternalConnectivity(req: ExternalConnectivityRequest, call: EffectCall): Promise<void> {
    try {
      await this.call(
        "ProgramExternalConnectivity",
        { NetworkID: req.networkId, EndpointID: req.endpointId, Options: joinOptions(req.options) },
        emptyResponse,
        effectCallOptions(call),
      );
    } catch (e) {
      if (!(isNetledgerError(e) && e.code === "NotFound")) throw e;
    }
  }

  /** RevokeExternalConnectivity (§5.8), made by the effect layer before Leave; what the plugin answers is ignored. */
  async revokeExternalConnectivity(req: { networkId: string; endpointId: string }, call: EffectCall): Promise<void> {
    await ignoringAnswers(this.call("RevokeExternalConnectivity", { NetworkID: req.networkId, EndpointID: req.endpointId }, emptyResponse, effectCallOptions(call)));
  }

  private async placeNamed(req: JoinRequest, srcName: string, dstPrefix: string, result: JoinResult, call: EffectCall): Promise<string> {
    const m = `${networkSubsystem}.Join`;
    if (!(await this.placement.exists(srcName))) {
      await this.leaveQuietly(req, call);
      throw this.client.fail("DriverError", m, `the plugin named interface "${srcName}", which does not exist; sent Leave`);
    }
    const addresses = [req.interface?.address, req.interface?.addressIPv6].filter((a): a is string => !!a);
    const routes: Route[] = (result.staticRoutes ?? []).map((r) =>
      r.routeType === 0 && r.nextHop ? { destination: r.destination, nextHop: r.nextHop } : { destination: r.destination },
    );
    try {
      return await this.placement.place(
        srcName,
        dstPrefix,
        req.sandboxKey!,
        {
          // The name the caller chose (endpoint/connect `ifname`, a CNI runtime's CNI_IFNAME) wins over the plugin's DstPrefix.
          ...(req.ifname !== undefined ? { name: req.ifname } : {}),
          mac: req.interface?.mac ?? null,
          addresses,
          routes,
          gateway: result.gateway ?? null,
          gatewayIPv6: result.gatewayIPv6 ?? null,
        },
        { databaseId: call.databaseId, endpointId: req.endpointId },
      );
    } catch (e) {
      await this.leaveQuietly(req, call);
      throw this.client.fail("DriverError", m, `could not place interface "${srcName}" in the sandbox: ${(e as Error).message}; sent Leave`);
    }
  }

  private async leaveQuietly(req: { networkId: string; endpointId: string }, call: EffectCall): Promise<void> {
    await this.call("Leave", { NetworkID: req.networkId, EndpointID: req.endpointId }, emptyResponse, effectCallOptions(call)).catch(() => undefined);
  }

  /**
   * Leave (§5.8): the interface moved back out of the sandbox as libnetwork does, then Leave (the effect
   * layer sends RevokeExternalConnectivity first). Sent as well to undo a Join in doubt (its args, no
   * joinInfo), and when ProgramExternalConnectivity failed.
   */
  async leave(req: LeaveRequest, call: EffectCall): Promise<void> {
    const ids = { NetworkID: req.networkId, EndpointID: req.endpointId };
    // Found by its alias, so that the Leave that undoes a Join in doubt (no answer recorded) moves it too.
    if (req.sandboxKey) await this.placement.remove(req.sandboxKey, { databaseId: call.databaseId, endpointId: req.endpointId });
    await ignoringAnswers(this.call("Leave", ids, emptyResponse, effectCallOptions(call)));
  }

  /** DiscoverNew / DiscoverDelete (§5.10): only node discovery (type 1) is sent; other types succeed without a call. */
  async discover(kind: "DiscoverNew" | "DiscoverDelete", type: number, data: { Address: string; BindAddress?: string; Self?: boolean }): Promise<void> {
    if (type !== 1) return;
    await this.call(kind, { DiscoveryType: type, DiscoveryData: { Address: data.Address, BindAddress: data.BindAddress ?? "", Self: data.Self ?? false } }, emptyResponse);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** libnetwork logs and ignores what a plugin answers to DeleteNetwork, DeleteEndpoint and Leave (§8.2). */
async function ignoringAnswers(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (isNetledgerError(e) && (e.code === "DriverError" || e.code === "NotFound" || e.code === "BadResponse")) return;
    throw e;
  }
}

interface IpamDataIn {
  addressSpace: string;
  pool: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

/** IPAMData's hand-written encoding (§5.2): Pool, Gateway and AuxAddresses only when set; always an array. */
function ipamData(list: unknown): Record<string, unknown>[] {
  if (!Array.isArray(list)) return [];
  return (list as IpamDataIn[]).map((d) => ({
    AddressSpace: d.addressSpace,
    ...(d.pool ? { Pool: d.pool } : {}),
    ...(d.gateway ? { Gateway: d.gateway } : {}),
    ...(d.auxAddresses && Object.keys(d.auxAddresses).length ? { AuxAddresses: sortedMap(d.auxAddresses) } : {}),
  }));
}

/** The sandbox options of Join and ProgramExternalConnectivity (§5.7, §8.4): port map and exposed ports. */
function joinOptions(options: Record<string, unknown>): Record<string, unknown> {
  const { ports: raw, ...rest } = options;
  const ports = (raw ?? []) as PortBinding[];
  if (ports.length === 0) return sortedMap(rest) ?? {};
  return sortedMap({
    ...rest,
    [labels.exposedPorts]: ports.map((p) => ({ Proto: protoNumber[p.proto] ?? 0, Port: p.port })),
    [labels.portMap]: ports.map((p) => ({
      Proto: protoNumber[p.proto] ?? 0,
      IP: "",
      Port: p.port,
      HostIP: p.hostIp,
      HostPort: p.hostPort,
      HostPortEnd: p.hostPort,
    })),
  })!;
}

