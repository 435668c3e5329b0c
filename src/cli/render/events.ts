import type { EntityDirectory } from "../../controller/entities.js";
import { isId, shortId } from "../../domain/ids.js";
import type { LoggedEvent } from "../../store/eventLog.js";
import type { Style } from "../style.js";

/** An event as `log --json` prints it, one object a line, keys in the order of interface.md §3. */
export function eventJson(e: LoggedEvent): string {
  return JSON.stringify({ seq: e.seq, type: e.type, stream: e.stream, version: e.version, data: e.data, meta: e.meta, hash: e.hash });
}

/** A log time without its milliseconds, still ISO 8601 so that it can be pasted into --since. */
export function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

type Data = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v) ?? "");

/** A compact rendering of data this code does not describe, cut to a width. */
function compact(v: unknown, width = 80): string {
  const s = JSON.stringify(v) ?? "";
  return s.length > width ? s.slice(0, width - 1) + "…" : s;
}

function keyValues(m: unknown): string {
  const entries = Object.entries((m ?? {}) as Data);
  return entries.length ? entries.map(([k, v]) => `${k}=${str(v)}`).join(" ") : "";
}

/**
 * What an event did, in a few words, with the entities it mentions by name. An event type this code
 * does not know (a newer netledger's) is shown by its data, so the trail stays readable.
 */
function eventDetail(e: LoggedEvent, names: EntityDirectory): string {
  const d = (typeof e.data === "object" && e.data !== null ? e.data : {}) as Data;
  const parts: string[] = [];
  const awaiting = d["pending"] === true ? "awaiting the driver" : "";
  const effect = (): string => {
    const id = Number(d["effect"]);
    const op = names.effectOp(id);
    return op ? `${op} #${id}` : `effect #${id}`;
  };
  switch (e.type) {
    case "driver.configured":
      parts.push(keyValues(d["options"]) || "no options");
      break;
    case "network.created": {
      parts.push(`driver ${str(d["driver"])}`);
      const config = ((d["ipam"] as Data | undefined)?.["config"] ?? []) as Data[];
      for (const c of config) parts.push(`subnet ${str(c["subnet"])}`);
      if (d["internal"] === true) parts.push("internal");
      parts.push(awaiting);
      break;
    }
    case "endpoint.created":
      parts.push(`on ${names.name(str(d["network"]))}`);
      if (typeof d["ipv4"] === "string") parts.push(d["ipv4"]);
      if (typeof d["connect"] === "string") parts.push(`to join ${names.name(d["connect"])}`);
      if (d["driverOpts"] !== undefined) parts.push(`driver options ${keyValues(d["driverOpts"])}`);
      parts.push(awaiting);
      break;
    case "endpoint.joined":
    case "endpoint.left":
      parts.push(`sandbox ${names.name(str(d["sandbox"]))}`);
      if (d["remove"] === true) parts.push("then delete");
      parts.push(awaiting);
      break;
    case "sandbox.created":
      parts.push(d["key"] === null ? "host namespace" : `namespace ${str(d["key"])}`);
      if (d["hostname"]) parts.push(`hostname ${str(d["hostname"])}`);
      parts.push(awaiting);
      break;
    case "network.deleted":
    case "endpoint.deleted":
    case "sandbox.deleted":
      if (d["force"] === true) parts.push("forced");
      parts.push(awaiting);
      break;
    case "effect.requested":
      parts.push(`${str(d["op"])} #${e.seq} via ${str(d["driver"])}`);
      if (d["inverse"] === true) parts.push("to undo an earlier call");
      break;
    case "effect.attempted":
      parts.push(`${effect()} taken over by pid ${str((d["attempt"] as Data | undefined)?.["pid"])}`);
      break;
    case "effect.succeeded":
      parts.push(`${effect()} succeeded`);
      break;
    case "effect.failed": {
      const err = (d["error"] ?? {}) as Data;
      parts.push(`${effect()} failed: ${str(err["code"])}: ${str(err["message"])}`);
      break;
    }
    case "network.reprogrammed":
    case "endpoint.reprogrammed":
      parts.push("kernel state made again after a reboot");
      break;
    case "sandbox.deleteAborted": {
      const err = (d["error"] ?? {}) as Data;
      parts.push(`delete stopped, the sandbox stays: ${str(err["code"])}: ${str(err["message"])}`);
      break;
    }
    case "ipam.pool.requested":
      parts.push(`pool ${str(d["subnet"])}${d["ipRange"] ? ` range ${str(d["ipRange"])}` : ""} for ${names.name(str(d["network"]))} from ${str(d["driver"])}`);
      break;
    case "ipam.pool.released":
      parts.push(`pool ${str(d["pool"])} of ${names.name(str(d["network"]))} back to ${str(d["driver"])}`);
      break;
    case "ipam.address.requested":
    case "ipam.address.released": {
      const verb = e.type === "ipam.address.requested" ? (d["dynamic"] === true ? "address given" : "address reserved") : "address released";
      parts.push(`${verb}: ${str(d["address"])} as ${str(d["role"])} of ${names.name(str(d["owner"]))}`);
      break;
    }
    case "ipam.leak.suspected":
      parts.push(
        `suspected leak: ${str(d["op"])}${d["pool"] ? ` in pool ${str(d["pool"])}` : ""} for ${names.name(str(d["owner"]))} on ${str(d["driver"])}, answer lost (${str(d["lost"])} attempt${d["lost"] === 1 ? "" : "s"}, effect ${str(d["effect"])})`,
      );
      break;
    case "host.booted":
      parts.push(d["previous"] === null ? `first boot seen (${str(d["boot"])})` : `rebooted since the last event: boot ${str(d["boot"])}, was ${str(d["previous"])}`);
      break;
    default:
      parts.push(compact(e.data));
  }
  return parts.filter((p) => p !== "").join(", ");
}

/** Colours an event type by what it did: births green, ends yellow, failures red, effect bookkeeping dim. */
function paintType(type: string, style: Style): (s: string) => string {
  if (type.endsWith(".failed")) return style.bad;
  if (type.startsWith("effect.")) return style.dim;
  if (type.endsWith(".created") || type.endsWith(".joined") || type.endsWith(".succeeded")) return style.ok;
  if (type.endsWith(".deleted") || type.endsWith(".left")) return style.warn;
  return (s) => s;
}

/** Column widths of the log table; kept from the first rows when following. */
export interface LogColumns {
  seq: number;
  actor: number;
  type: number;
  entity: number;
}

const maxEntityWidth = 40;

export function logColumns(events: readonly LoggedEvent[], names: EntityDirectory, min: Partial<LogColumns> = {}): LogColumns {
  const w = { seq: Math.max(3, min.seq ?? 0), actor: Math.max(5, min.actor ?? 0), type: Math.max(5, min.type ?? 0), entity: Math.max(6, min.entity ?? 0) };
  for (const e of events) {
    w.seq = Math.max(w.seq, String(e.seq).length);
    w.actor = Math.max(w.actor, e.meta.actor.length);
    w.type = Math.max(w.type, e.type.length);
    w.entity = Math.min(maxEntityWidth, Math.max(w.entity, names.label(e.stream).length));
  }
  return w;
}

const gap = "   ";

function cut(s: string, width: number): string {
  return s.length > width ? s.slice(0, width - 1) + "…" : s;
}

export function logHeader(w: LogColumns, style: Style): string {
  const cells = ["SEQ".padStart(w.seq), "TIME".padEnd(20), "ACTOR".padEnd(w.actor), "EVENT".padEnd(w.type), "ENTITY".padEnd(w.entity), "ID".padEnd(12), "DETAIL"];
  return style.bold(cells.join(gap)) + "\n";
}

/** One line of the audit trail: who, when, what, on which entity (by name, and id: names are reused), and the detail. */
export function logLine(e: LoggedEvent, w: LogColumns, names: EntityDirectory, style: Style): string {
  const cells = [
    String(e.seq).padStart(w.seq),
    shortTime(e.meta.time).padEnd(20),
    e.meta.actor.padEnd(w.actor),
    paintType(e.type, style)(e.type.padEnd(w.type)),
    cut(names.label(e.stream), w.entity).padEnd(w.entity),
    (isId(e.stream) ? shortId(e.stream) : "-").padEnd(12),
    eventDetail(e, names),
  ];
  return cells.join(gap).trimEnd() + "\n";
}

/** The audit trail as a table for people. */
export function logTable(events: readonly LoggedEvent[], names: EntityDirectory, style: Style): string {
  const w = logColumns(events, names);
  return logHeader(w, style) + events.map((e) => logLine(e, w, names, style)).join("");
}
