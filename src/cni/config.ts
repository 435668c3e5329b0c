import { netnsPathProblem } from "../controller/netnsPath.js";
import { CniError, cniCodes, type CniVersion, isSupported } from "./spec.js";

/**
 * What one CNI call carries, read from stdin and the environment and checked before anything is
 * asked of netledger (a bad config writes nothing): the network configuration (with the runtime's
 * `runtimeConfig` for the capabilities netledger-cni declares) and the CNI_* variables.
 */

export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "GC" | "STATUS";
const commands: readonly string[] = ["ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"];

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  hostIP: string;
}

export interface NetConf {
  cniVersion: CniVersion;
  /** The CNI network's name (the conflist's). */
  name: string;
  /** The netledger network: name, id or id prefix; the CNI name when absent. */
  network: string;
  /** A daemon (unix://PATH or https://HOST:PORT) or a database file; neither: the CLI's defaults. */
  host?: string;
  db?: string;
  runtime: { portMappings: PortMapping[]; ips: string[]; mac?: string; aliases: string[] };
  /** CHECK's and DEL's prevResult, as the runtime kept it. */
  prevResult?: unknown;
  /** GC (1.1.0): the attachments the runtime still has. */
  validAttachments?: { containerID: string; ifname: string }[];
}

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS as pairs (IgnoreUnknown=1;K8S_POD_NAME=…). */
  args: Record<string, string>;
}

const bad = (msg: string, details = "") => new CniError(cniCodes.invalidConfig, msg, details);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readCommand(env: NodeJS.ProcessEnv): CniCommand {
  const c = env["CNI_COMMAND"];
  if (c === undefined || c === "") throw new CniError(cniCodes.invalidEnvironment, "CNI_COMMAND is not set");
  if (!commands.includes(c)) throw new CniError(cniCodes.invalidEnvironment, `unknown CNI_COMMAND "${c}"`, `one of ${commands.join(", ")}`);
  return c as CniCommand;
}

/** CNI_ARGS: `KEY=VALUE` pairs separated by `;`. */
export function parseArgs(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? "").split(";")) {
    if (pair === "") continue;
    const i = pair.indexOf("=");
    if (i <= 0) throw new CniError(cniCodes.invalidEnvironment, `CNI_ARGS: "${pair}" is not KEY=VALUE`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

export function readEnv(env: NodeJS.ProcessEnv, command: CniCommand): CniEnv {
  const need = (name: string, required: boolean): string => {
    const v = env[name] ?? "";
    if (required && v === "") throw new CniError(cniCodes.invalidEnvironment, `${name} is not set`, `${command} needs it`);
    return v;
  };
  const attach = command === "ADD" || command === "DEL" || command === "CHECK";
  // DEL may come without a namespace (the container is gone); ADD and CHECK need it, and a real one.
  const netns = need("CNI_NETNS", command === "ADD" || command === "CHECK");
  if (command === "ADD" || command === "CHECK") {
    const problem = netnsPathProblem("CNI_NETNS", netns);
    if (problem) throw new CniError(cniCodes.invalidEnvironment, problem);
  }
  return {
    command,
    containerId: need("CNI_CONTAINERID", attach),
    netns,
    ifname: need("CNI_IFNAME", attach),
    args: parseArgs(env["CNI_ARGS"]),
  };
}

function portMappings(v: unknown): PortMapping[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad("runtimeConfig.portMappings must be a list");
  return v.map((p, i) => {
    if (!isObj(p)) throw bad(`runtimeConfig.portMappings[${i}] must be an object`);
    const port = (k: string, min: number) => {
      const n = p[k];
      if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > 65535) throw bad(`runtimeConfig.portMappings[${i}].${k} must be a port number`);
      return n;
    };
    const protocol = String(p["protocol"] ?? "tcp").toLowerCase();
    if (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") throw bad(`runtimeConfig.portMappings[${i}].protocol "${protocol}" is not tcp, udp or sctp`);
    return { hostPort: port("hostPort", 0), containerPort: port("containerPort", 1), protocol, hostIP: typeof p["hostIP"] === "string" ? p["hostIP"] : "" };
  });
}

/** The aliases capability: a list, or (as podman and the CNI conventions send it) a map from network name to its list. */
function aliases(v: unknown, network: string): string[] {
  if (isObj(v)) return strings(v[network], `runtimeConfig.aliases.${network}`);
  return strings(v, "runtimeConfig.aliases");
}

function strings(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw bad(`${what} must be a list of strings`);
  return v as string[];
}

/** The network configuration on stdin. Garbage is a decoding failure (6); a wrong shape, an invalid config (7). */
export function parseConf(stdin: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(cniCodes.decodingFailure, "the network configuration on stdin is not JSON", (e as Error).message);
  }
  if (!isObj(raw)) throw new CniError(cniCodes.decodingFailure, "the network configuration on stdin is not a JSON object");
  const v = raw["cniVersion"];
  if (typeof v !== "string" || v === "") throw bad("cniVersion is missing");
  if (!isSupported(v)) throw new CniError(cniCodes.incompatibleVersion, `CNI version ${v} is not supported`, `netledger-cni speaks 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0`);
  const name = raw["name"];
  if (typeof name !== "string" || name === "") throw bad("name is missing");
  const network = raw["network"] ?? name;
  if (typeof network !== "string" || network === "") throw bad("network must name a netledger network");
  for (const k of ["host", "db"] as const)
    if (raw[k] !== undefined && (typeof raw[k] !== "string" || raw[k] === "")) throw bad(`${k} must be a non-empty string`);
  if (raw["host"] !== undefined && raw["db"] !== undefined) throw bad(`give "host" (a daemon) or "db" (a database file), not both`);
  const rc = raw["runtimeConfig"] ?? {};
  if (!isObj(rc)) throw bad("runtimeConfig must be an object");
  if (rc["mac"] !== undefined && typeof rc["mac"] !== "string") throw bad("runtimeConfig.mac must be a string");
  const valid = raw["cni.dev/valid-attachments"];
  if (valid !== undefined && (!Array.isArray(valid) || valid.some((a) => !isObj(a) || typeof a["containerID"] !== "string" || typeof a["ifname"] !== "string")))
    throw bad("cni.dev/valid-attachments must be a list of {containerID, ifname}");
  return {
    cniVersion: v,
    name,
    network,
    ...(typeof raw["host"] === "string" ? { host: raw["host"] } : {}),
    ...(typeof raw["db"] === "string" ? { db: raw["db"] } : {}),
    runtime: {
      portMappings: portMappings(rc["portMappings"]),
      ips: strings(rc["ips"], "runtimeConfig.ips"),
      ...(typeof rc["mac"] === "string" ? { mac: rc["mac"] } : {}),
      aliases: aliases(rc["aliases"], name),
    },
    ...(raw["prevResult"] !== undefined ? { prevResult: raw["prevResult"] } : {}),
    ...(valid !== undefined ? { validAttachments: valid as { containerID: string; ifname: string }[] } : {}),
  };
}
