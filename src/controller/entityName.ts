/**
 * An endpoint's name with its network's, as names are unique only within a network. Its own module so
 * that renderers name entities without loading the event log's parsing (zod).
 */
export function qualifiedName(e: { kind: string; name: string; network?: { name: string } }): string {
  return e.kind === "endpoint" && e.network ? `${e.network.name}/${e.name}` : e.name;
}
