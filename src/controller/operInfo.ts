import * as C from "../domain/collection.js";
import { NetledgerError } from "../domain/errors.js";
import { shortId } from "../domain/ids.js";
import type { State } from "../domain/state.js";
import type { DriverCatalog } from "./catalog.js";

/** libnetwork's EndpointOperInfo: the endpoint's driver asked for its operational data; nothing is logged. */
export async function endpointOperInfo(s: State, catalog: DriverCatalog, endpointId: string): Promise<Record<string, unknown>> {
  const e = C.get(s.endpoints, endpointId);
  if (!e) throw new NetledgerError("NotFound", `endpoint ${shortId(endpointId)} not found`);
  const n = C.get(s.networks, e.network)!;
  await catalog.ensureDriver(n.driver);
  const d = catalog.registry.get(n.driver);
  if (!d) throw new NetledgerError("PluginUnavailable", `network driver ${n.driver} is not available`);
  return d.driver.endpointOperInfo({ networkId: n.id, endpointId: e.id });
}
