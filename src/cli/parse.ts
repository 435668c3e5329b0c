import { invalid } from "../domain/errors.js";
import type { ExtraHost, PortBinding } from "../domain/events.js";

/** Parsers for flag values; a malformed value is an InvalidParameter that names the flag and the value. */

/** `K=V` pairs of a repeatable flag into a map; a later key wins. */
export function keyValues(flag: string, items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf("=");
    if (i <= 0) throw invalid(`malformed ${flag} "${item}": expected KEY=VALUE`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** Docker's `-p [HOSTIP:]HOSTPORT:PORT[/tcp|udp|sctp]` (and `PORT[/proto]` for an ephemeral host port). */
export function portBinding(spec: string): PortBinding {
  // The host IP is a dotted quad or a bracketed IPv6 address, so "8080:80" is HOSTPORT:PORT.
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(spec);
  if (!m) throw invalid(`malformed port binding "${spec}": expected [HOSTIP:]HOSTPORT:PORT[/tcp|udp|sctp]`);
  const hostIp = (m[1] ?? "").replace(/^\[|\]$/g, "");
  const hostPort = m[2] !== undefined ? Number(m[2]) : 0;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw invalid(`port ${port} in "${spec}" is out of range 1–65535`);
  if (hostPort > 65535) throw invalid(`host port ${hostPort} in "${spec}" is out of range 0–65535`);
  return { proto: (m[4] as PortBinding["proto"]) ?? "tcp", port, hostIp, hostPort };
}

/** Docker's `--add-host NAME:IP`. */
export function extraHost(spec: string): ExtraHost {
  const i = spec.indexOf(":");
  if (i <= 0 || i === spec.length - 1) throw invalid(`malformed --add-host "${spec}": expected NAME:IP`);
  return { name: spec.slice(0, i), ip: spec.slice(i + 1) };
}

/** Collects a repeatable flag. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** A duration: `30s`, `500ms`, `2m`, or a bare number of seconds (as Docker's plugin `--timeout`). */
export function durationMs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw invalid(`malformed ${flag} "${text}": expected a duration like 30s, 500ms or 2m`);
  const ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000);
  if (ms < 1) throw invalid(`${flag} "${text}" is too short: give at least 1ms`);
  return Math.round(ms);
}
