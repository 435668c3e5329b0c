import { applyInPlace, seal } from "../../src/domain/evolve.js";
import type { EventData, NewEvent, StoredEvent } from "../../src/domain/events.js";
import { emptyState, type State } from "../../src/domain/state.js";

/** A state folded from hand-made events, as the log would give them (seq from 1, no metadata to speak of). */
export function stateOf(events: NewEvent[]): State {
  const stored = events.map((e, i) => ({ ...e, seq: i + 1, version: 1, meta: { actor: "test", time: `2025-01-01T00:00:${String(i).padStart(2, "0")}Z` }, hash: "" }) as StoredEvent);
  return seal(applyInPlace(emptyState(), stored));
}

export const hex = (c: string): string => c.repeat(64).slice(0, 64);

export function network(id: string, name: string, over: Partial<EventData<"network.created">> = {}): NewEvent {
  return {
    type: "network.created",
    stream: id,
    data: {
      id,
      name,
      driver: "bridge",
      scope: "local",
      ipam: { driver: "default", config: [], options: {} },
      ipv6: false,
      internal: false,
      options: {},
      labels: {},
      pending: false,
      ...over,
    },
  };
}

export function endpoint(id: string, networkId: string, name: string, over: Partial<EventData<"endpoint.created">> = {}): NewEvent {
  return {
    type: "endpoint.created",
    stream: id,
    data: { id, network: networkId, name, ipv4: null, ipv6: null, mac: null, gateway: null, gateway6: null, ports: [], aliases: [], pending: false, ...over },
  };
}

export function sandbox(id: string, containerId: string, over: Partial<EventData<"sandbox.created">> = {}): NewEvent {
  return {
    type: "sandbox.created",
    stream: id,
    data: { id, containerId, key: `/run/netledger/netns/${id}`, hostname: "", domainname: "", dns: [], extraHosts: [], pending: false, ...over },
  };
}

export function joined(endpointId: string, sandboxId: string): NewEvent {
  return { type: "endpoint.joined", stream: endpointId, data: { id: endpointId, sandbox: sandboxId, pending: false } };
}
