import { z } from "zod";
import { type PortBinding, portBindingSchema } from "./values.js";
import type { EndpointRecord } from "./state.js";

/**
 * An endpoint's published ports with the host ports actually in use: a binding that asked for any
 * host port (`-p 80`, host port 0) shows the one the driver picked at Join (its `portMappings`, kept
 * in the endpoint's join info), as `docker port` shows the port the daemon chose. Before a join, or on
 * a driver that picked none, such a binding keeps host port 0.
 */
const portMappingsSchema = z.array(portBindingSchema);

export function publishedPorts(e: EndpointRecord): PortBinding[] {
  if (!e.ports.some((p) => p.hostPort === 0)) return e.ports;
  const parsed = portMappingsSchema.safeParse(e.joinInfo?.["portMappings"]);
  if (!parsed.success) return e.ports;
  return e.ports.map((b) => {
    if (b.hostPort !== 0) return b;
    const picked = parsed.data.find((m) => m.proto === b.proto && m.port === b.port && m.hostIp === b.hostIp);
    return picked ? { ...b, hostPort: picked.hostPort } : b;
  });
}
