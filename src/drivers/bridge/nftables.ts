import { readFileSync, writeFileSync } from "node:fs";
import { run, ProgramError } from "../netns/exec.js";

/** nftables through `nft`: one script per change on stdin (atomic), JSON listings for `gc`. */

export async function applyRuleset(text: string): Promise<void> {
  await run("nft", ["-f", "-"], { input: text });
}

export interface NftRule {
  chain: string;
  handle: number;
  comment: string | undefined;
}

export interface NftTable {
  name: string;
  chains: string[];
  sets: string[];
  rules: NftRule[];
}

type NftJson = { nftables: Record<string, Record<string, unknown>>[] };

/** The table `inet NAME` as nft lists it, or undefined when there is none. */
export async function listTable(name: string): Promise<NftTable | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run("nft", ["-j", "list", "table", "inet", name]));
  } catch (e) {
    if (e instanceof ProgramError && /No such file or directory/.test(e.stderr)) return undefined;
    throw e;
  }
  const t: NftTable = { name, chains: [], sets: [], rules: [] };
  for (const item of (JSON.parse(stdout) as NftJson).nftables) {
    if (item["chain"]) t.chains.push(String(item["chain"]["name"]));
    else if (item["set"]) t.sets.push(String(item["set"]["name"]));
    else if (item["rule"]) {
      const r = item["rule"];
      t.rules.push({ chain: String(r["chain"]), handle: Number(r["handle"]), comment: r["comment"] as string | undefined });
    }
  }
  return t;
}

function setSysctl(path: string, value: string): void {
  try {
    if (readFileSync(path, "utf8").trim() === value) return;
  } catch {
    return; // no such setting here (IPv6 disabled, say): nothing to enable
  }
  writeFileSync(path, value);
}

/**
 * Turns IP forwarding on when a network has a way out, as Docker's bridge driver does; it is never
 * turned off again (other software may rely on it by then, and Docker does not either).
 */
export function enableForwarding(need: { ipv4: boolean; ipv6: boolean }): void {
  if (need.ipv4) setSysctl("/proc/sys/net/ipv4/ip_forward", "1");
  if (need.ipv6) setSysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
}

/** Lets the kernel route 127.0.0.0/8-sourced packets out of this bridge, so that DNAT from 127.0.0.1 works. */
export function enableRouteLocalnet(bridge: string): void {
  setSysctl(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, "1");
}
