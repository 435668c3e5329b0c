import * as C from "./collection.js";
import { invalid, notFound } from "./errors.js";
import { isIdPrefix, shortId } from "./ids.js";
import type { EndpointRecord, NetworkRecord, SandboxRecord, State } from "./state.js";

/**
 * Finds the entity a user named, the way Docker does: a full id, then a name, then a unique id
 * prefix of any length. An ambiguous prefix is refused naming every candidate, as Docker's
 * "network 4a is ambiguous (2 matches found)" does, with their names so the user can pick.
 */
function byPrefix<V extends { id: string }>(
  coll: C.Collection<V>,
  ref: string,
  kind: string,
  nameOf: (v: V) => string,
  accept: (v: V) => boolean = () => true,
): V | undefined {
  if (!isIdPrefix(ref)) return undefined;
  const matches = C.keysWithPrefix(coll, ref)
    .map((k) => C.get(coll, k)!)
    .filter(accept);
  if (matches.length > 1)
    throw invalid(
      `${kind} id prefix "${ref}" is ambiguous: it matches ${matches.map((m) => `${shortId(m.id)} (${nameOf(m)})`).join(", ")}; give more characters`,
    );
  return matches[0];
}

export function findNetwork(s: State, ref: string): NetworkRecord | undefined {
  const direct = C.get(s.networks, ref);
  if (direct) return direct;
  const id = C.get(s.networkNames, ref);
  if (id) return C.get(s.networks, id);
  return byPrefix(s.networks, ref, "network", (n) => n.name);
}

export function resolveNetwork(s: State, ref: string): NetworkRecord {
  const n = findNetwork(s, ref);
  if (!n) throw notFound(`network "${ref}" not found`);
  return n;
}

export function findEndpoint(s: State, network: NetworkRecord, ref: string): EndpointRecord | undefined {
  const id = C.get(s.endpointNames, `${network.id}/${ref}`);
  if (id) return C.get(s.endpoints, id);
  const direct = C.get(s.endpoints, ref);
  if (direct && direct.network === network.id) return direct;
  return byPrefix(s.endpoints, ref, "endpoint", (e) => e.name, (e) => e.network === network.id);
}

export function resolveEndpoint(s: State, network: NetworkRecord, ref: string): EndpointRecord {
  const e = findEndpoint(s, network, ref);
  if (!e) throw notFound(`endpoint "${ref}" not found in network ${network.name} (${shortId(network.id)})`);
  return e;
}

/** Any endpoint by id or unique id prefix, whatever its network. */
export function findEndpointById(s: State, ref: string): EndpointRecord | undefined {
  return C.get(s.endpoints, ref) ?? byPrefix(s.endpoints, ref, "endpoint", (e) => e.name);
}

export function findSandbox(s: State, ref: string): SandboxRecord | undefined {
  const direct = C.get(s.sandboxes, ref);
  if (direct) return direct;
  const id = C.get(s.sandboxContainers, ref);
  if (id) return C.get(s.sandboxes, id);
  return byPrefix(s.sandboxes, ref, "sandbox", (sb) => sb.containerId);
}

export function resolveSandbox(s: State, ref: string): SandboxRecord {
  const sb = findSandbox(s, ref);
  if (!sb) throw notFound(`sandbox "${ref}" not found`);
  return sb;
}
