import type { PortBinding } from "./values.js";
import type { EndpointRecord } from "./state.js";

/**
 * An endpoint's published ports with the host ports actually in use: a binding that asked for any
 * host port (`-p 80`, host port 0) shows the one the driver picked at Join (its `portMappings`, kept
 * in the endpoint's join info), as `docker port` shows the port the daemon chose. Before a join, or on
 * a driver that picked none, such a binding keeps host port 0.
 */
export function publishedPorts(e: EndpointRecord): PortBinding[] {
  const picked = e.joinInfo?.["portMappings"];
  const mappings = Array.isArray(picked) ? (picked as PortBinding[]) : [];
  return e.ports.map((b) => {
    if (b.hostPort !== 0) return b;
    const m = mappings.find((x) => x.proto === b.proto && x.port === b.port && x.hostIp === b.hostIp);
    return m && typeof m.hostPort === "number" ? { ...b, hostPort: m.hostPort } : b;
  });
}
