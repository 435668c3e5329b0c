import { shortId } from "../../domain/ids.js";
import type { Topology, TopologyEndpoint, TopologyNetwork, TopologySandbox } from "../../domain/topology.js";
import type { Style } from "../style.js";
import { pointText } from "./state.js";

const namespace = (s: TopologySandbox) => (s.key === null ? "host namespace" : s.key);

function networkLine(n: TopologyNetwork, style: Style): string {
  return [style.bold(n.name), shortId(n.id), n.driver, ...n.subnets, style.state(n.state)].join("  ");
}

function endpointLine(e: TopologyEndpoint, style: Style): string {
  return [e.name, shortId(e.id), e.ipv4 ?? "no address", ...(e.ipv6 ? [e.ipv6] : []), style.state(e.state)].join("  ");
}

function sandboxLine(s: TopologySandbox, style: Style): string {
  return [`sandbox ${s.containerId}`, shortId(s.id), namespace(s), style.state(s.state)].join("  ");
}

/** Networks → endpoints (addresses, states) → the sandbox each has joined, drawn as a tree. */
export function topologyTree(t: Topology, time: string | null, style: Style): string {
  const out = [`topology at ${pointText(t.seq, time)}`];
  if (t.networks.length === 0 && t.sandboxes.length === 0) out.push("(no networks, no sandboxes)");
  for (const n of t.networks) {
    out.push(networkLine(n, style));
    if (n.endpoints.length === 0) out.push(style.dim("└── (no endpoints)"));
    n.endpoints.forEach((e, i) => {
      const last = i === n.endpoints.length - 1;
      out.push(`${last ? "└──" : "├──"} ${endpointLine(e, style)}`);
      if (e.sandbox) out.push(`${last ? "    " : "│   "}└── ${sandboxLine(e.sandbox, style)}`);
    });
  }
  if (t.sandboxes.length > 0) {
    out.push(style.bold("sandboxes without endpoints"));
    t.sandboxes.forEach((s, i) => out.push(`${i === t.sandboxes.length - 1 ? "└──" : "├──"} ${sandboxLine(s, style)}`));
  }
  return out.join("\n") + "\n";
}

/** A DOT string literal. */
const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** Failed entities red, those waiting on a driver dashed. */
function look(state: string): string {
  if (state === "failed") return `, color="red", fontcolor="red"`;
  if (["creating", "joining", "leaving", "deleting"].includes(state)) return `, style="dashed"`;
  return "";
}

/** The same graph as Graphviz DOT (`netledger topology --dot | dot -Tsvg > net.svg`). */
export function topologyDot(t: Topology): string {
  const lines = [`digraph netledger {`, `  // state at seq ${t.seq}`, `  rankdir=LR;`, `  node [fontname="Helvetica", fontsize=10];`];
  const drawn = new Set<string>();
  const sandbox = (s: TopologySandbox) => {
    if (drawn.has(s.id)) return;
    drawn.add(s.id);
    lines.push(`  ${q(`sandbox:${s.id}`)} [shape=component, label=${q(`${s.containerId}\n${namespace(s)}\n${s.state}`)}${look(s.state)}];`);
  };
  for (const n of t.networks) {
    lines.push(`  ${q(`network:${n.id}`)} [shape=box, label=${q([n.name, `${n.driver}, ${n.state}`, ...n.subnets].join("\n"))}${look(n.state)}];`);
    for (const e of n.endpoints) {
      const addr = [e.ipv4, e.ipv6].filter(Boolean).join("\n");
      lines.push(`  ${q(`endpoint:${e.id}`)} [shape=ellipse, label=${q([e.name, ...(addr ? [addr] : []), e.state].join("\n"))}${look(e.state)}];`);
      lines.push(`  ${q(`network:${n.id}`)} -> ${q(`endpoint:${e.id}`)};`);
      if (e.sandbox) {
        sandbox(e.sandbox);
        lines.push(`  ${q(`endpoint:${e.id}`)} -> ${q(`sandbox:${e.sandbox.id}`)};`);
      }
    }
  }
  for (const s of t.sandboxes) sandbox(s);
  lines.push("}");
  return lines.join("\n") + "\n";
}
