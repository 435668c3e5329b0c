import { z } from "zod";
import { goAnyMap, goBool, goInt, goPointer, goSlice, goString, goStringMap, goStruct } from "./goJson.js";

/**
 * The wire types of the plugin protocol (plugin-protocol.md §4, §5, §7), as zod schemas that decode
 * with Go's rules (goJson.ts). Field names are Go's, exactly as they go over the wire.
 */

export const activateResponse = goStruct({ Implements: goSlice(z.string()) });

/** Every NetworkDriver answer may carry Err. */
const errField = { Err: goString };

export const emptyResponse = goStruct(errField);

export const capabilitiesResponse = goStruct({ ...errField, Scope: goString, ConnectivityScope: goString, GwAllocChecker: goBool });

const endpointInterface = { Address: goString, AddressIPv6: goString, MacAddress: goString };

export const createEndpointResponse = goStruct({ ...errField, Interface: goPointer(endpointInterface) });

export const endpointOperInfoResponse = goStruct({ ...errField, Value: goAnyMap });

const staticRoute = goStruct({ Destination: goString, RouteType: goInt, NextHop: goString });

export const joinResponse = goStruct({
  ...errField,
  InterfaceName: goPointer({ SrcName: goString, DstPrefix: goString, DstName: goString }),
  Gateway: goString,
  GatewayIPv6: goString,
  StaticRoutes: goSlice(staticRoute),
  DisableGatewayService: goBool,
});

/** IPAM answers carry their error in `Error` (a 200 with `Err` counts as success: §3.2). */
const ipamErr = { Error: goString };

export const ipamEmptyResponse = goStruct(ipamErr);
export const ipamCapabilitiesResponse = goStruct({ ...ipamErr, RequiresMACAddress: goBool, RequiresRequestReplay: goBool });
export const addressSpacesResponse = goStruct({ ...ipamErr, LocalDefaultAddressSpace: goString, GlobalDefaultAddressSpace: goString });
export const requestPoolResponse = goStruct({ ...ipamErr, PoolID: goString, Pool: goString, Data: goStringMap });
export const requestAddressResponse = goStruct({ ...ipamErr, Address: goString, Data: goStringMap });

/** The subsystems a plugin's manifest may list that netledger serves. */
export const networkSubsystem = "NetworkDriver";
export const ipamSubsystem = "IpamDriver";

/** netlabel keys that appear in plugin traffic (§8.3). */
export const labels = {
  generic: "com.docker.network.generic",
  enableIPv6: "com.docker.network.enable_ipv6",
  internal: "com.docker.network.internal",
  portMap: "com.docker.network.portmap",
  exposedPorts: "com.docker.network.endpoint.exposedports",
  macAddress: "com.docker.network.endpoint.macaddress",
} as const;
