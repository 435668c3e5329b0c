import { createHash } from "node:crypto";
import type { CallOptions } from "../api/contract.js";
import type { CniApi } from "./api.js";
import type { EndpointView, NetworkView, SandboxView } from "../domain/views.js";
import type { CniEnv, NetConf } from "./config.js";
import { cniActor } from "./connect.js";
import { CniError, cniCodes, netledgerCodes } from "./spec.js";

/**
 * How a CNI attachment maps onto netledger: ADD is a sandbox for CNI_CONTAINERID bound to the
 * runtime's CNI_NETNS (a namespace netledger never deletes), and a `network connect` on it (an
 * endpoint created and joined, its interface named CNI_IFNAME); DEL is the `network disconnect`, then
 * the sandbox's deletion once no endpoint is left in it.
 *
 * Every command carries a request id derived from the container, the interface, the network and the
 * command, and every entity an id derived the same way, so that a runtime's retry (the same ADD before
 * any DEL, or the same DEL) is the same request: it appends nothing, and one left half done by a crash
 * is waited for and finished, not made twice. A generation number keeps an ADD after a DEL apart: the
 * lowest generation whose entity is alive, or has never been in the log.
 */

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
export const sandboxIdOf = (containerId: string, g: number): string => sha(`netledger-cni:sandbox:${containerId}:${g}`);
const endpointIdOf = (containerId: string, ifname: string, networkId: string, g: number): string =>
  sha(`netledger-cni:endpoint:${containerId}:${ifname}:${networkId}:${g}`);

/** How far a generation is looked for: far beyond any runtime's restarts of one container. */
const maxGenerations = 1 << 20;

export interface Attached {
  network: NetworkView;
  sandbox: SandboxView;
  endpoint: EndpointView;
}

/** Whether the log has ever had an event on this entity. */
async function inLog(api: CniApi, id: string): Promise<boolean> {
  for await (const _ of api.events({ stream: id })) return true;
  return false;
}

/**
 * The generation to use: the one whose entity is `alive`, else the first never used. Generations are
 * used in order, so the used ones are 0…k-1: the first unused is found by doubling then halving
 * (O(log k) look-ups, for a container a runtime restarted many times), and an alive one is the last used.
 */
export async function generation(api: CniApi, idOf: (g: number) => string, alive: string | undefined): Promise<string> {
  if (alive !== undefined && alive === idOf(0)) return alive;
  let lo = 0; // used (or about to be learnt so)
  let hi = 1;
  if (!(await inLog(api, idOf(0)))) return idOf(0);
  while (await inLog(api, idOf(hi))) {
    lo = hi;
    hi *= 2;
    if (hi > maxGenerations) throw new CniError(cniCodes.tryAgainLater, `no free generation for this attachment after ${maxGenerations}`);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await inLog(api, idOf(mid))) lo = mid;
    else hi = mid;
  }
  // lo is the last used generation, hi the first unused.
  return alive !== undefined && alive === idOf(lo) ? alive : idOf(hi);
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "NotFound";
}

async function sandboxOf(api: CniApi, containerId: string): Promise<SandboxView | undefined> {
  try {
    const sb = await api.sandbox(containerId);
    return sb.containerId === containerId ? sb : undefined;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The netledger network a config names; one that does not exist is an invalid config (nothing written). */
export async function networkOf(api: CniApi, ref: string): Promise<NetworkView> {
  try {
    return await api.network(ref);
  } catch (e) {
    if (isNotFound(e)) throw new CniError(cniCodes.invalidConfig, `netledger has no network "${ref}"`, `create it first: netledger network create ${ref}`);
    throw e;
  }
}

/**
 * An endpoint of the network by id or name, or undefined. One look-up, where a listing of the
 * network's endpoints builds the view of every one (and, through the API, of the whole state).
 */
async function endpointOf(api: CniApi, networkId: string, ref: string): Promise<EndpointView | undefined> {
  try {
    return await api.endpoint(networkId, ref);
  } catch (e) {
    // InvalidParameter: a short hex container id that prefixes several endpoint ids names none of them.
    if (isNotFound(e) || (typeof e === "object" && e !== null && (e as { code?: unknown }).code === "InvalidParameter")) return undefined;
    throw e;
  }
}

/** The sandbox's endpoint on the network (joined, or joining or leaving it). */
async function joinedTo(api: CniApi, network: NetworkView, sb: SandboxView): Promise<EndpointView | undefined> {
  for (const id of sb.endpoints) {
    const e = await endpointOf(api, network.id, id);
    if (e && e.id === id && e.sandbox === sb.id) return e;
  }
  return undefined;
}

/** The endpoint named after the container on the network that is in no sandbox (at most one: names are unique in a network). */
async function unjoinedNamed(api: CniApi, network: NetworkView, containerId: string): Promise<EndpointView | undefined> {
  const e = await endpointOf(api, network.id, containerId);
  return e && e.name === containerId && e.sandbox === null ? e : undefined;
}

/**
 * The sandbox's endpoint on the network, joined or on its way. A `network connect` under way (an ADD
 * the runtime sent again) shows its endpoint in no sandbox until the join: named after the container,
 * being made or joined. Found, the second ADD is the same request.
 */
async function endpointIn(api: CniApi, network: NetworkView, sb: SandboxView): Promise<EndpointView | undefined> {
  const joined = await joinedTo(api, network, sb);
  if (joined) return joined;
  const named = await unjoinedNamed(api, network, sb.containerId);
  return named && ["creating", "created", "joining"].includes(named.state) ? named : undefined;
}

/** The runtime's CNI_ARGS (K8S_POD_NAME…) and the call itself, kept in the events' metadata. */
export function callOptions(env: CniEnv, requestId: string): CallOptions {
  const labels: Record<string, string> = { CNI_COMMAND: env.command, CNI_CONTAINERID: env.containerId, CNI_IFNAME: env.ifname };
  for (const [k, v] of Object.entries(env.args)) if (k !== "IgnoreUnknown") labels[k] = v;
  return { requestId, actor: cniActor, labels };
}

/** The addresses asked for: CNI_ARGS IP= (comma-separated) and runtimeConfig.ips, without a prefix length. */
function wantedIps(env: CniEnv, conf: NetConf): { ip?: string; ip6?: string } {
  const all = [...(env.args["IP"] ? env.args["IP"].split(",") : []), ...conf.runtime.ips].map((a) => a.trim().split("/")[0]!).filter((a) => a !== "");
  const ip = all.find((a) => !a.includes(":"));
  const ip6 = all.find((a) => a.includes(":"));
  return { ...(ip ? { ip } : {}), ...(ip6 ? { ip6 } : {}) };
}

/** The connect of an ADD: its endpoint made and joined to the sandbox, with what the runtime asked for. */
function connectCommand(api: CniApi, conf: NetConf, env: CniEnv, network: NetworkView, sandbox: string, epId: string): Promise<EndpointView> {
  const mac = env.args["MAC"] || conf.runtime.mac;
  const ports = conf.runtime.portMappings.map((p) => ({ proto: p.protocol, port: p.containerPort, hostIp: p.hostIP, hostPort: p.hostPort }));
  return api.connect(
    network.id,
    { id: epId, sandbox, ...wantedIps(env, conf), ...(mac ? { mac } : {}), ports, aliases: conf.runtime.aliases, ifname: env.ifname },
    callOptions(env, `cni:add:${epId}`),
  );
}

export async function add(api: CniApi, conf: NetConf, env: CniEnv): Promise<Attached> {
  const network = await networkOf(api, conf.network);
  const sbIdOf = (g: number) => sandboxIdOf(env.containerId, g);
  const idOf = (g: number) => endpointIdOf(env.containerId, env.ifname, network.id, g);
  let sb = await sandboxOf(api, env.containerId);
  let sbId = sb && sb.state === "ready" ? sb.id : await generation(api, sbIdOf, sb?.id);
  if (!sb) {
    // The usual ADD: a container netledger has no sandbox for. The sandbox and the connect are sent
    // together and decided in one commit (the join may start while the sandbox layer still checks
    // CNI_NETNS: src/domain/decide/joinable.ts), one round and one commit fewer than one after the other.
    const epId = await generation(api, idOf, undefined);
    // The same ADD under way may have made the sandbox since it was looked for, and the generations just
    // read passed it by: looked for again after the log was read, it is found (and waited for below).
    sb = await sandboxOf(api, env.containerId);
    if (!sb) {
      const created = api.createSandbox({ id: sbId, containerId: env.containerId, netns: env.netns }, callOptions(env, `cni:add:sandbox:${sbId}`));
      const connected = connectCommand(api, conf, env, network, sbId, epId);
      // Both are awaited, so neither rejection goes unobserved; the sandbox's refusal is the one that explains.
      const [s, e] = await Promise.allSettled([created, connected]);
      if (s.status === "rejected") throw s.reason;
      if (e.status === "rejected") throw e.reason;
      return { network, sandbox: s.value, endpoint: e.value };
    }
    sbId = await generation(api, sbIdOf, sb.id);
  }
  if (sb.key !== env.netns)
    throw new CniError(
      netledgerCodes["Conflict"]!,
      `container ${env.containerId} already has a sandbox bound to ${sb.key ?? "the host's namespace"}, not ${env.netns}`,
      "the runtime must DEL the earlier attachment first",
    );
  if (sb.state !== "ready") {
    // Sent again while it exists but is not ready: the same request, so it waits for the first.
    if (sb.id !== sbId)
      throw new CniError(cniCodes.tryAgainLater, `the sandbox of container ${env.containerId} is ${sb.state}`, "try again once it is settled");
    sb = await api.createSandbox({ id: sbId, containerId: env.containerId, netns: env.netns }, callOptions(env, `cni:add:sandbox:${sbId}`));
  }
  let existing = await endpointIn(api, network, sb);
  let epId = await generation(api, idOf, existing?.id);
  if (!existing) {
    // The same ADD under way may have made its endpoint since it was looked for: the generation just
    // read would then pass it by. Looked for again, after the log was read, it is found and waited for.
    existing = await endpointIn(api, network, sb);
    if (existing) epId = await generation(api, idOf, existing.id);
  }
  if (existing && existing.id !== epId)
    throw new CniError(netledgerCodes["Conflict"]!, `container ${env.containerId} is already on network ${network.name} (endpoint ${existing.id.slice(0, 12)}, not made by this CNI attachment)`);
  const endpoint = await connectCommand(api, conf, env, network, sb.id, epId);
  return { network, sandbox: sb, endpoint };
}

/**
 * DEL: idempotent. An unknown container, or one no longer on the network, is success; otherwise its
 * endpoint leaves and is deleted, and the sandbox goes once it holds no endpoint.
 */
export async function del(api: CniApi, conf: NetConf, env: CniEnv): Promise<void> {
  const sb = await sandboxOf(api, env.containerId);
  if (!sb) return;
  let network: NetworkView | undefined;
  try {
    network = await api.network(conf.network);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (network) {
    const ep = await joinedTo(api, network, sb);
    const named = await unjoinedNamed(api, network, env.containerId);
    const leftovers = named && named.state !== "deleted" ? [named] : [];
    // The usual DEL: this endpoint is all the sandbox holds, so the sandbox's deletion removes both in
    // one command (libnetwork's Sandbox.Delete: its endpoints leave and are deleted, then it goes), two
    // commits fewer than a disconnect followed by the deletion. Its request id is the deletion's below,
    // so a DEL sent again while the first is under way (podman's rm and its cleanup process both send
    // one) is the same request and waits for it.
    const alone = sb.endpoints.length === 1 && sb.endpoints[0] === ep?.id && leftovers.length === 0;
    if (ep && alone && (sb.state === "ready" || sb.state === "deleting")) {
      await api.deleteSandbox(sb.id, false, callOptions(env, `cni:del:sandbox:${sb.id}`));
      return;
    }
    if (ep) await api.disconnect(network.id, { sandbox: sb.id }, callOptions(env, `cni:del:${ep.id}`));
    // An endpoint whose creation failed is left in the network under the container's name: it goes too.
    for (const e of leftovers)
      await api.deleteEndpoint(network.id, e.id, true, callOptions(env, `cni:del:${e.id}`));
  }
  const now = await sandboxOf(api, env.containerId);
  if (now && now.id === sb.id && now.endpoints.length === 0)
    await api.deleteSandbox(sb.id, now.state === "failed", callOptions(env, `cni:del:sandbox:${sb.id}`));
}

/** What CHECK compares with the kernel: the attachment as the log has it, or a failure naming what is missing. */
export async function attached(api: CniApi, conf: NetConf, env: CniEnv): Promise<Attached> {
  const network = await networkOf(api, conf.network);
  const sb = await sandboxOf(api, env.containerId);
  if (!sb) throw new CniError(cniCodes.unknownContainer, `netledger has no sandbox for container ${env.containerId}`);
  const ep = await endpointIn(api, network, sb);
  if (!ep) throw new CniError(cniCodes.unknownContainer, `container ${env.containerId} is not on network ${network.name}`);
  return { network, sandbox: sb, endpoint: ep };
}

/** Whether an endpoint is one this plugin made for that container and interface (its id is derived). */
export function madeByCni(ep: EndpointView, containerId: string, networkId: string): boolean {
  const ifname = ep.interface?.name;
  if (ifname === undefined) return false;
  for (let g = 0; g < 256; g++) if (endpointIdOf(containerId, ifname, networkId, g) === ep.id) return true;
  return false;
}

/**
 * GC (CNI 1.1.0): every attachment this plugin made on the network that the runtime no longer lists
 * in cni.dev/valid-attachments is removed, as its DEL would.
 */
export async function gc(api: CniApi, conf: NetConf, env: CniEnv): Promise<string[]> {
  const network = await networkOf(api, conf.network);
  const valid = new Set((conf.validAttachments ?? []).map((a) => `${a.containerID}/${a.ifname}`));
  const removed: string[] = [];
  const sandboxes = new Map((await api.sandboxes()).map((s) => [s.id, s]));
  for (const ep of await api.endpoints(network.id)) {
    const sb = ep.sandbox !== null ? sandboxes.get(ep.sandbox) : undefined;
    if (!sb || !ep.interface || valid.has(`${sb.containerId}/${ep.interface.name}`) || !madeByCni(ep, sb.containerId, network.id)) continue;
    await del(api, conf, { ...env, containerId: sb.containerId, ifname: ep.interface.name });
    removed.push(`${sb.containerId}/${ep.interface.name}`);
  }
  return removed;
}
