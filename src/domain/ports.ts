import type { PortBinding } from "./values.js";
import type { EndpointRecord } from "./state.js";

const port = (v: unknown, min: number): boolean => typeof v === "number" && Number.isInteger(v) && v >= min && v <= 65535;

/**
 * Whether a driver's `portMappings` are port bindings (portBindingSchema's shape), checked by hand so
 * that the views, which every read command builds, load no schema library.
 */
function isPortMappings(v: unknown): v is PortBinding[] {
  return (
    Array.isArray(v) &&
    v.every((m: Partial<Record<keyof PortBinding, unknown>> | null) =>
      typeof m === "object" && m !== null && (m.proto === "tcp" || m.proto === "udp" || m.proto === "sctp") && port(m.port, 1) && typeof m.hostIp === "string" && port(m.hostPort, 0),
    )
  );
}

/**
 * An endpoint's published ports with the host ports actually in use: a binding that asked for any
 * host port (`-p 80`, host port 0) shows the one the driver picked at Join (its `portMappings`, kept
 * in the endpoint's join info), as `docker port` shows the port the daemon chose. Before a join, or on
 * a driver that picked none, such a binding keeps host port 0.
 */
export function publishedPorts(e: EndpointRecord): PortBinding[] {
  if (!e.ports.some((p) => p.hostPort === 0)) return e.ports;
  const mappings = e.joinInfo?.["portMappings"];
  if (!isPortMappings(mappings)) return e.ports;
  return e.ports.map((b) => {
    if (b.hostPort !== 0) return b;
    const picked = mappings.find((m) => m.proto === b.proto && m.port === b.port && m.hostIp === b.hostIp);
    return picked ? { ...b, hostPort: picked.hostPort } : b;
  });
}
