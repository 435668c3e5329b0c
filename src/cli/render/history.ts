import type { EntityDirectory } from "../../controller/entities.js";
import { qualifiedName } from "../../controller/entityName.js";
import type { EntityHistory } from "../../controller/ledger.js";
import { shortId } from "../../domain/ids.js";
import type { Style } from "../style.js";
import { logTable } from "./events.js";

/** An entity history as `inspect --history --json` prints it. */
export function historyJson(h: EntityHistory) {
  return {
    kind: h.kind,
    id: h.id,
    name: h.name,
    ...(h.network ? { network: h.network } : {}),
    state: h.current?.state ?? "deleted",
    createdSeq: h.createdSeq,
    lastSeq: h.lastSeq,
    current: h.current,
    events: h.events,
  };
}

/** Each entity's heading (what it is now, or when it went), then its events as in `log`. */
export function historyText(histories: readonly EntityHistory[], names: EntityDirectory, style: Style): string {
  return histories
    .map((h) => {
      const now = h.current ? `now ${style.state(h.current.state)} (its last event: seq ${h.lastSeq})` : style.warn(`deleted at seq ${h.lastSeq}`);
      return `${style.bold(`${h.kind} ${qualifiedName(h)}`)} ${h.id}\ncreated at seq ${h.createdSeq}, ${now}\n\n${logTable(h.events, names, style)}`;
    })
    .join("\n");
}

/** How an entity is named in messages: `network scratch (5d2c0e4f1a2b)`. */
export const entityRef = (h: { kind: string; id: string } & Parameters<typeof qualifiedName>[0]) => `${h.kind} ${qualifiedName(h)} (${shortId(h.id)})`;
