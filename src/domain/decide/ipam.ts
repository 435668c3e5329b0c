/**
 * IPAM in decide, by concept: which driver and what decide knows of it (ipamDrivers.ts), networks'
 * pools and addresses (ipamNetwork.ts), endpoints' addresses (ipamEndpoint.ts), releases
 * (ipamReleases.ts), and what an IPAM driver's answer leads to (ipamOutcome.ts).
 */
export { gatewayLabel, ipamHasEffects, ipamInfo, macAddressLabel, requestAddressTypeLabel, requireIpam } from "./ipamDrivers.js";
export { endpointReleases, macFor, nextEndpointRequest, planEndpointIpam, type AddressRequest, type EndpointAddressing } from "./ipamEndpoint.js";
export { ipamData, networkReleases, nextNetworkRequest, planNetworkIpam, type IpamData } from "./ipamNetwork.js";
export { ipamContinuation, refusedAnswer, type IpamEffect, type IpamNext } from "./ipamOutcome.js";
export { planReleases, releaseEvent, type ReleaseStep } from "./ipamReleases.js";
