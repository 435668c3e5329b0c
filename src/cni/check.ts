import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Attached } from "./attach.js";
import { CniError, netledgerCodes } from "./spec.js";

const run = promisify(execFile);

interface IpAddr {
  ifname: string;
  address?: string;
  addr_info?: { local: string; prefixlen: number; scope?: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** `ip -j ARGS` inside the namespace at `netns` (a path: /run/netns/…, /proc/PID/ns/net). Read only. */
async function ipJson<T>(netns: string, args: string[]): Promise<T> {
  const { stdout } = await run("nsenter", [`--net=${netns}`, "ip", "-j", ...args], { timeout: 10_000 });
  return JSON.parse(stdout || "[]") as T;
}

/**
 * CHECK: the container's interface, its addresses and its default routes, read from the kernel, against
 * the attachment the log has. Every difference is named; any is a failure.
 */
export async function checkKernel(a: Attached, ifname: string, netns: string): Promise<void> {
  const ep = a.endpoint;
  // A driver that places no interface (null) leaves nothing in the namespace to compare.
  if (!ep.interface) return;
  const wantName = ep.interface?.name ?? ifname;
  const differences: string[] = [];
  if (ep.interface && ep.interface.name !== ifname) differences.push(`the log has the interface named ${ep.interface.name}, the runtime asked about ${ifname}`);
  let links: IpAddr[];
  try {
    links = await ipJson<IpAddr[]>(netns, ["addr", "show"]);
  } catch (e) {
    throw new CniError(netledgerCodes["CheckFailed"]!, `cannot read the container's namespace ${netns}`, (e as Error).message);
  }
  const link = links.find((l) => l.ifname === wantName);
  if (!link) differences.push(`interface ${wantName} is missing from ${netns}`);
  else {
    if (ep.mac && link.address?.toLowerCase() !== ep.mac.toLowerCase()) differences.push(`interface ${wantName} has MAC ${link.address ?? "none"}, the log has ${ep.mac}`);
    const have = new Set((link.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`));
    for (const want of [ep.ipv4, ep.ipv6]) if (want && !have.has(want)) differences.push(`interface ${wantName} lacks address ${want}`);
    for (const [gw, flag] of [
      [ep.gateway, "-4"],
      [ep.gateway6, "-6"],
    ] as const) {
      if (!gw) continue;
      const routes = await ipJson<IpRoute[]>(netns, [flag, "route", "show", "default"]).catch(() => [] as IpRoute[]);
      const plain = gw.split("/")[0]!;
      if (!routes.some((r) => r.gateway === plain && (r.dev === undefined || r.dev === wantName)))
        differences.push(`no default route via ${plain} on ${wantName}`);
    }
  }
  if (differences.length > 0)
    throw new CniError(netledgerCodes["CheckFailed"]!, `the container differs from netledger's log: ${differences[0]}`, differences.join("; "));
}

/** CHECK also holds the runtime's prevResult to the log: the addresses it was given must be the ones recorded. */
export function checkPrevResult(a: Attached, prev: unknown): void {
  if (typeof prev !== "object" || prev === null) return;
  const ips = (prev as { ips?: { address?: unknown }[] }).ips ?? [];
  const want = new Set([a.endpoint.ipv4, a.endpoint.ipv6].filter((x): x is string => !!x));
  for (const ip of ips)
    if (typeof ip.address === "string" && !want.has(ip.address))
      throw new CniError(netledgerCodes["CheckFailed"]!, `prevResult has address ${ip.address}, which netledger's log does not give this attachment`);
}
