import { invalid } from "../../domain/errors.js";
import { shortId } from "../../domain/ids.js";
import type { EndpointView, NetworkView, SandboxView } from "../../domain/views.js";
import { boolFilter, labelMatches, labelText, type ListSpec } from "./list.js";

/**
 * What `network ls`, `endpoint ls` and `sandbox ls` show and filter on, in Docker's field names so
 * that a `--format` written for `docker network ls` works here.
 */

const idOf = (id: string, trunc: boolean) => (trunc ? shortId(id) : id);
/** Docker's name and id filters match any part of the name or id. */
const part = (s: string, value: string) => s.includes(value);

/**
 * Docker's predefined networks (`bridge`, `host`, `none`): what `type=builtin` finds. netledger makes
 * none of them itself; a network that takes such a name with its driver counts as one.
 */
const builtin = (n: NetworkView) =>
  (n.name === "bridge" && n.driver === "bridge") || (n.name === "host" && n.driver === "host") || (n.name === "none" && n.driver === "null");

export const networkList: ListSpec<NetworkView> = {
  kind: "network",
  fields: ["ID", "Name", "Driver", "Scope", "IPv6", "Internal", "Labels", "CreatedAt", "State"],
  headers: { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT", State: "STATE" },
  columns: ["ID", "Name", "Driver", "Scope", "State"],
  row: (n, trunc) => ({
    ID: idOf(n.id, trunc),
    Name: n.name,
    Driver: n.driver,
    Scope: n.scope,
    IPv6: String(n.ipv6),
    Internal: String(n.internal),
    Labels: labelText(n.labels),
    CreatedAt: n.createdAt,
    State: n.state,
  }),
  labels: (n) => n.labels,
  filters: {
    name: (n, v) => part(n.name, v),
    id: (n, v) => part(n.id, v),
    driver: (n, v) => n.driver === v,
    label: (n, v) => labelMatches(n.labels, v),
    scope: (n, v) => n.scope === v,
    type: (n, v) => {
      if (v !== "custom" && v !== "builtin") throw invalid(`invalid filter: 'type'='${v}' (custom or builtin)`);
      return (v === "builtin") === builtin(n);
    },
    dangling: (n, v) => boolFilter("dangling", v) === (n.endpoints.length === 0 && !builtin(n)),
  },
  id: (n) => n.id,
};

export function endpointList(networkName: (id: string) => string): ListSpec<EndpointView> {
  return {
    kind: "endpoint",
    fields: ["ID", "Name", "Network", "Sandbox", "IPv4", "IPv6", "MacAddress", "Node", "State", "CreatedAt"],
    headers: { ID: "ENDPOINT ID", Name: "NAME", Network: "NETWORK", Sandbox: "SANDBOX", IPv4: "IPV4", IPv6: "IPV6", MacAddress: "MAC ADDRESS", Node: "NODE", State: "STATE", CreatedAt: "CREATED AT" },
    columns: ["ID", "Name", "Network", "Sandbox", "IPv4", "Node", "State"],
    row: (e, trunc) => ({
      ID: idOf(e.id, trunc),
      Name: e.name,
      Network: networkName(e.network),
      Sandbox: e.sandbox ? idOf(e.sandbox, trunc) : "",
      IPv4: e.ipv4 ?? "",
      IPv6: e.ipv6 ?? "",
      MacAddress: e.mac ?? "",
      // The node an endpoint of a global-scope network lives on; empty for local networks.
      Node: e.node ?? "",
      State: e.state,
      CreatedAt: e.createdAt,
    }),
    filters: {
      name: (e, v) => part(e.name, v),
      id: (e, v) => part(e.id, v),
      node: (e, v) => e.node === v,
      network: (e, v) => networkName(e.network) === v || e.network.startsWith(v),
      sandbox: (e, v) => e.sandbox !== null && e.sandbox.startsWith(v),
      dangling: (e, v) => boolFilter("dangling", v) === (e.sandbox === null),
    },
    id: (e) => e.id,
  };
}

export const sandboxList: ListSpec<SandboxView> = {
  kind: "sandbox",
  fields: ["ID", "ContainerID", "Key", "Endpoints", "State", "CreatedAt"],
  headers: { ID: "SANDBOX ID", ContainerID: "CONTAINER", Key: "KEY", Endpoints: "ENDPOINTS", State: "STATE", CreatedAt: "CREATED AT" },
  columns: ["ID", "ContainerID", "Key", "Endpoints", "State"],
  row: (s, trunc) => ({
    ID: idOf(s.id, trunc),
    ContainerID: s.containerId,
    Key: s.key ?? "(host)",
    Endpoints: String(s.endpoints.length),
    State: s.state,
    CreatedAt: s.createdAt,
  }),
  filters: {
    name: (s, v) => part(s.containerId, v),
    id: (s, v) => part(s.id, v),
    dangling: (s, v) => boolFilter("dangling", v) === (s.endpoints.length === 0),
  },
  id: (s) => s.id,
};
